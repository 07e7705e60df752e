"""Subcommands of ``hybrid-perception``, one module per concern; heavy imports inside them."""
