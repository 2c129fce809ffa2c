"""``agentrl tools``: list and inspect the registered tools (built-in, user and plugin).

agentrl tools list
agentrl tools list --json
agentrl tools show calculator
agentrl tools show python     # also which isolation its sandbox has here (on stderr)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tools",
        help="list and inspect tools",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="tools_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _help(parser))

    list_parser = commands.add_parser("list", help="name, description and parameters of each")
    list_parser.add_argument("--json", action="store_true", help="one JSON schema per line")
    list_parser.set_defaults(func=run_list)

    show = commands.add_parser("show", help="a tool's JSON schema (OpenAI function format)")
    show.add_argument("name", help="tool name, e.g. calculator")
    show.set_defaults(func=run_show)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def schema_of(name: str) -> dict[str, Any]:
    """The JSON schema of registered tool `name`, without constructing stateful tools."""
    from agentrl.registration import tools
    from agentrl.tools.base import Tool, ToolFactory

    factory = tools.spec(name).load()
    owner = getattr(factory, "__self__", None)  # `Tool.with_options` bound to its tool
    if isinstance(factory, ToolFactory):
        return factory.schema()
    if isinstance(owner, Tool | ToolFactory):
        return owner.schema()
    made = tools.make(name)  # a plugin's plain factory function
    return made.schema()


def _parameters(schema: dict[str, Any]) -> str:
    parameters = schema["function"]["parameters"]
    required = set(parameters.get("required", []))
    parts = []
    for key, prop in parameters.get("properties", {}).items():
        kind = prop.get("type") or "|".join(
            str(option.get("type", "?")) for option in prop.get("anyOf", [])
        )
        parts.append(f"{key}: {kind}" + ("" if key in required else " (optional)"))
    return ", ".join(parts) or "none"


def run_list(args: argparse.Namespace) -> int:
    from agentrl.registration import tools

    rows = [(name, schema_of(name)) for name in tools.ids()]
    if args.json:
        for _, schema in rows:
            print(json.dumps(schema))
        return 0
    width = max((len(name) for name, _ in rows), default=4)
    for name, schema in rows:
        summary = (schema["function"]["description"] or "").strip().split("\n")[0]
        print(f"{name:<{width}}  {summary}")
        print(f"{'':<{width}}  parameters: {_parameters(schema)}")
    for name, error in sorted(tools.plugin_errors.items()):
        print(f"{name:<{width}}  (plugin failed to load: {error})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    print(json.dumps(schema_of(args.name), indent=2))
    if args.name == "python":  # what confines its code here; stderr keeps stdout plain JSON
        from agentrl.tools.sandbox import SandboxLimits, isolation

        for key, value in isolation(SandboxLimits()).items():
            print(f"sandbox isolation, {key}: {value}", file=sys.stderr)
    return 0
