"""Declared parameters from one table per node: ``{name: (default, description)}``.

The table is what the node, its YAML in ``config/`` and its README section agree on (a test
checks the YAML against it), and the node reads the values back as one plain dict.
"""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter

__all__ = ['declare_parameters', 'overrides']

ParameterTable = dict[str, tuple[Any, str]]


def declare_parameters(node: Node, table: ParameterTable) -> dict[str, Any]:
    """Declare every parameter read-only (they are read once, at start-up) and return them."""
    for name, (default, description) in table.items():
        node.declare_parameter(name, default, ParameterDescriptor(description=description,
                                                                  read_only=True))
    return {name: node.get_parameter(name).value for name in table}


def overrides(**values: Any) -> list[Parameter]:
    """``parameter_overrides`` for a node made in this process; the rest keep their defaults."""
    return [Parameter(name, value=value) for name, value in values.items()]
