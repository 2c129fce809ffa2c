"""``agentrl envs``: list, show and check environments (built-in, user and plugin).

agentrl envs list
agentrl envs show guess-number
agentrl envs show deepscaler --arg data=aime.json
agentrl envs check --all
"""

from __future__ import annotations

import argparse
import inspect
import json
from typing import Any

from agentrl.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "envs",
        help="list, show and check environments",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="envs_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _help(parser))

    list_parser = commands.add_parser(
        "list", help="registered environments: id, source, what it is"
    )
    list_parser.add_argument(
        "--json", action="store_true", help="print JSON lines instead of a table"
    )
    list_parser.set_defaults(func=run_list)

    show = commands.add_parser("show", help="spec, spaces, tools, rewards and a sample episode")
    show.add_argument("id", help="environment id, e.g. deepscaler or deepscaler-v0")
    show.add_argument("--seed", type=int, default=0, help="seed of the sample episode")
    _add_env_args(show)
    show.set_defaults(func=run_show)

    check = commands.add_parser("check", help="run agentrl.check_env; exit 1 on any failure")
    check.add_argument("id", nargs="?", help="environment id")
    check.add_argument("--all", action="store_true", help="check every registered environment")
    _add_env_args(check)
    check.set_defaults(func=run_check)


def _add_env_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument for the env (VALUE parsed as JSON if it can be); repeatable",
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def env_kwargs(pairs: list[str]) -> dict[str, Any]:
    """``["data=x.json", "max_turns=3"]`` -> ``{"data": "x.json", "max_turns": 3}``."""
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise ConfigError(f"got --arg {pair!r}, need KEY=VALUE with KEY a Python name")
        try:
            kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            kwargs[key] = value
    return kwargs


def describe(spec: Any) -> str:
    """One line about an env: its registered description, else its docstring's first line."""
    description = spec.metadata.get("description")
    if description:
        return str(description)
    try:
        doc = (spec.load().__doc__ or "").strip()
    except Exception as e:  # a broken plugin is listed with its error, not allowed to break `list`
        return f"(cannot load: {e})"
    return doc.splitlines()[0] if doc else ""


def run_list(args: argparse.Namespace) -> int:
    from agentrl.registration import envs

    rows = [(id, envs.spec(id).source, describe(envs.spec(id))) for id in envs.ids()]
    if args.json:
        for id, source, text in rows:
            print(json.dumps({"id": id, "source": source, "description": text}))
    else:
        width = max((len(r[0]) for r in rows), default=2)
        source_width = max((len(r[1]) for r in rows), default=6)
        print(f"{'ID':<{width}}  {'SOURCE':<{source_width}}  DESCRIPTION")
        for id, source, text in rows:
            print(f"{id:<{width}}  {source:<{source_width}}  {text}")
    for name, error in sorted(envs.plugin_errors.items()):
        print(f"plugin {name!r} could not be registered: {error}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import agentrl
    from agentrl.env import render_messages

    spec = agentrl.spec(args.id)
    env = agentrl.make(args.id, **env_kwargs(args.arg))
    inner = env.unwrapped
    entry = spec.entry_point if isinstance(spec.entry_point, str) else repr(spec.entry_point)
    print(f"id:            {spec.id}")
    print(f"entry point:   {entry}")
    print(f"source:        {spec.source}")
    print(f"description:   {describe(spec)}")
    print(f"kwargs:        {json.dumps({**spec.kwargs, **env_kwargs(args.arg)}, default=str)}")
    print(f"observation:   {env.observation_space}")
    print(f"action:        {env.action_space}")
    print(f"reward range:  {_get(env, 'reward_range')}")
    print(f"max turns:     {_get(env, 'max_turns')}")
    tasks = _get(env, "num_tasks")
    print(f"tasks:         {'endless (procedural)' if tasks is None else tasks}")
    tools = _get(env, "tools")
    print(
        f"tools:         {', '.join(t.name for t in tools) or 'none'}"
        + (f" (format {_get(env, 'tool_format')})" if tools else "")
    )
    transcript, components, total = _sample_episode(env, args.seed)
    print(f"reward components: {', '.join(components) or 'none'}")
    print(f"\n--- sample episode (seed {args.seed}, oracle actions), return {total:g} ---")
    print(render_messages(transcript))
    doc = inspect.cleandoc(type(inner).__doc__ or "")
    if doc:
        print(f"\n--- {type(inner).__name__} ---\n{doc}")
    env.close()
    return 0


def _get(env: Any, name: str) -> Any:
    return getattr(env, name) if hasattr(env, name) else env.get_wrapper_attr(name)


def _sample_episode(env: Any, seed: int) -> tuple[list[Any], list[str], float]:
    """Play one episode with `oracle_action()`; the transcript, component names and return."""
    observation, _ = env.reset(seed=seed)
    transcript = list(observation)
    components: dict[str, None] = {}
    total = 0.0
    for _ in range(_get(env, "max_turns")):
        action = _get(env, "oracle_action")()
        if action is None:
            transcript.append({"role": "assistant", "content": "(the env has no oracle action)"})
            break
        observation, reward, terminated, truncated, info = env.step(action)
        transcript += [{"role": "assistant", "content": action}, *observation]
        components.update(dict.fromkeys(info.get("reward_components", {})))
        total += reward
        if terminated or truncated:
            break
    return transcript, list(components), total


def run_check(args: argparse.Namespace) -> int:
    import agentrl
    from agentrl.env_checker import EnvCheckError

    if args.all == bool(args.id):
        raise ConfigError("give one environment id or --all")
    ids = agentrl.registry.ids() if args.all else [agentrl.registry.resolve(args.id)]
    kwargs = env_kwargs(args.arg)
    failures = 0
    for id in ids:
        try:
            env = agentrl.make(id, **kwargs)
            report = agentrl.check_env(env)
        except EnvCheckError as e:
            failures += 1
            print(f"FAIL  {id}: {e}")
            continue
        except Exception as e:  # an env that cannot even be built fails its check, reported here
            failures += 1
            print(f"FAIL  {id}: cannot build or check it: {type(e).__name__}: {e}")
            continue
        skipped = "".join(f"; skipped {k} ({v})" for k, v in report.skipped.items())
        print(f"ok    {id}: {len(report.passed)} checks passed{skipped}")
    if len(ids) > 1:
        print(f"{len(ids) - failures} of {len(ids)} environments passed")
    return 1 if failures else 0
