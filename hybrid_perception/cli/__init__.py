"""``hybrid-perception``: :mod:`~hybrid_perception.cli.main` holds the parser, and each
subcommand is a module named for it that parses, calls the library and prints.

Heavy imports (torch, Lava, rclpy) happen inside the commands, so ``--help`` stays instant
and the commands that need no ROS work without it.
"""
