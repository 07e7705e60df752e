"""Declared parameters from one table per node: ``{name: (default, description)}``.

The table is what the node, its YAML in ``config/`` and its README section agree on (a test
checks the YAML against it), and the node reads the values back as one plain dict.
"""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter

from hybrid_perception.errors import HybridPerceptionError

__all__ = ['declare_parameters', 'overrides']

ParameterTable = dict[str, tuple[Any, str]]


def declare_parameters(node: Node, table: ParameterTable) -> dict[str, Any]:
    """Declare every parameter read-only (they are read once, at start-up) and return them,
    each of its default's type.

    Declared with dynamic typing so that ``rate:=3`` (an integer on the command line or in a
    launch file) is the 3.0 it means rather than rclpy's InvalidParameterTypeException; any
    other mismatch is refused naming the parameter and the type it takes."""
    values = {}
    for name, (default, description) in table.items():
        node.declare_parameter(name, default, ParameterDescriptor(
            description=description, read_only=True, dynamic_typing=True))
        values[name] = _as_declared(name, node.get_parameter(name).value, default)
    return values


def _as_declared(name: str, value: Any, default: Any) -> Any:
    """``value`` as ``default``'s type: integers where floats are declared become floats."""
    if isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)) and not hasattr(value, 'tolist'):
            raise HybridPerceptionError(f'parameter {name} takes a list like {list(default)}, '
                                        f'got {value!r}')
        return [_as_declared(name, v, default[0]) for v in value] if default else list(value)
    kind = type(default)
    if kind is float and type(value) is int:
        return float(value)
    if type(value) is not kind:
        raise HybridPerceptionError(f'parameter {name} takes a {_KINDS[kind]} like '
                                    f'{default!r}, got {value!r}')
    return value


_KINDS = {bool: 'boolean', int: 'integer', float: 'floating-point number', str: 'string'}


def overrides(**values: Any) -> list[Parameter]:
    """``parameter_overrides`` for a node made in this process; the rest keep their defaults."""
    return [Parameter(name, value=value) for name, value in values.items()]
