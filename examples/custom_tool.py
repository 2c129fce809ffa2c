"""A new tool in a few lines: a typed, documented function becomes a registered agent tool.

Run: python examples/custom_tool.py
"""

import json

import agentrl
from agentrl.registration import tools
from agentrl.tools.base import execute_tool_calls
from agentrl.tools.calls import parse_tool_calls


@agentrl.tool(timeout_s=5)
def unit_convert(value: float, unit: str = "km") -> str:
    """Convert a distance to metres.

    Args:
        value: the distance.
        unit: its unit: km, mi or ft.
    """
    factors = {"km": 1000.0, "mi": 1609.344, "ft": 0.3048}
    if unit not in factors:
        raise ValueError(f"unknown unit {unit!r}; use one of {sorted(factors)}")
    return f"{value * factors[unit]:g} m"


def main() -> None:
    converter = tools.make("unit_convert")  # registered by the decorator
    print(json.dumps(converter.schema(), indent=2))
    reply = (  # what a Qwen/Hermes model writes; the second call has a bad argument
        'Converting.\n<tool_call>\n{"name": "unit_convert", "arguments": {"value": 3, '
        '"unit": "mi"}}\n</tool_call>\n<tool_call>\n{"name": "unit_convert", '
        '"arguments": {"value": "ten"}}\n</tool_call>'
    )
    parsed = parse_tool_calls(reply, "hermes")
    for message in execute_tool_calls({"unit_convert": converter}, parsed.calls):
        print(f"{message['tool_call_id']}: {message['content']}")


if __name__ == "__main__":
    main()
