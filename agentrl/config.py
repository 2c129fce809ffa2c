"""Typed run configuration: pydantic models read from YAML and overridden with dotted keys.

Every config in agentrl subclasses `Config` (frozen, unknown keys forbidden). One path serves the
library and the CLI alike::

    cfg = load_config(TrainConfig, "grpo.yaml", ["optim.lr=1e-6", "rollout.group_size=8"])
    print(to_yaml(cfg, comments=True))   # what `--print-config` shows

Override values are parsed as YAML (`3`, `1e-6`, `true`, `[1, 2]`, `null`); a value for a `str`
field is kept verbatim, so `name=yes` stays the string ``"yes"``. Errors are `ConfigError`s that
name the dotted key, the bad value and what would have been accepted.
"""

from __future__ import annotations

import argparse
import copy
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any, Literal, TextIO, TypeVar

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict

from agentrl.errors import ConfigError, did_you_mean

__all__ = [
    "Config",
    "add_config_args",
    "apply_overrides",
    "config_from_args",
    "dump_config",
    "load_config",
    "parse_override",
    "print_config",
    "to_yaml",
]

C = TypeVar("C", bound=BaseModel)


class Config(BaseModel):
    """Base of every agentrl config: immutable, unknown keys rejected, defaults validated."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


# ----------------------------------------------------------------------------------------------
# Loading


def load_config(
    cls: type[C],
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    base: Mapping[str, Any] | BaseModel | None = None,
) -> C:
    """Build a config from layered sources: `base` < YAML file at `path` < dotted `overrides`.

    Args:
        cls: The config class (a pydantic model, usually a `Config`).
        path: A YAML file holding a mapping, or None.
        overrides: Strings ``"a.b=value"``; the value is parsed as YAML.
        base: Defaults to start from (e.g. an env's recommended preset), a mapping or a config.

    Returns:
        The validated config.

    Raises:
        ConfigError: Unreadable file, malformed override, unknown key or invalid value.
    """
    data: dict[str, Any] = _as_dict(base) if base is not None else {}
    if path is not None:
        data = _deep_merge(data, _read_yaml(Path(path)))
    data = _apply_to_dict(cls, data, overrides)
    return _validate(cls, data, source=str(path) if path is not None else None)


def apply_overrides(config: C, overrides: Sequence[str]) -> C:
    """Return a copy of `config` with dotted `overrides` applied and re-validated."""
    cls = type(config)
    data = _apply_to_dict(cls, _as_dict(config), overrides)
    return _validate(cls, data, source=None)


def parse_override(text: str) -> tuple[list[str], str]:
    """Split ``"a.b=value"`` into (``["a", "b"]``, ``"value"``); the value is not parsed yet."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or not key or any(not p for p in parts):
        raise ConfigError(f"got override {text!r}, need the form `key.subkey=value`")
    return parts, raw.strip()


def _as_dict(obj: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="python")
    return copy.deepcopy(dict(obj))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror or e}") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping, got {type(data).__name__}")
    return data


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# ----------------------------------------------------------------------------------------------
# Dotted overrides


def _apply_to_dict(
    cls: type[BaseModel], data: dict[str, Any], overrides: Sequence[str]
) -> dict[str, Any]:
    for text in overrides:
        parts, raw = parse_override(text)
        annotation = _walk_and_check(cls, parts, text)
        _set_path(data, parts, _parse_value(raw, annotation), text)
    return data


def _walk_and_check(cls: type[BaseModel], parts: list[str], text: str) -> Any:
    """Check each key of a dotted path against the schema; return the leaf's annotation.

    Returns `Any` once the path leaves typed territory (untyped dicts, unions of models).
    """
    annotation: Any = cls
    for i, part in enumerate(parts):
        model = _model_of(annotation)
        if model is not None:
            fields = model.model_fields
            if part not in fields:
                where = ".".join(parts[:i]) or "the top level"
                raise ConfigError(
                    f"unknown key `{'.'.join(parts[: i + 1])}` in override {text!r} "
                    f"(no field {part!r} at {where}; known: {', '.join(sorted(fields))})."
                    + did_you_mean(part, fields)
                )
            annotation = fields[part].annotation
        elif _is_mapping(annotation):
            args = typing.get_args(_strip_optional(annotation)[0])
            annotation = args[1] if len(args) == 2 else Any
        elif annotation is Any or len(_strip_optional(annotation)) > 1:
            return Any
        else:
            key = ".".join(parts[:i])
            raise ConfigError(
                f"unknown key `{'.'.join(parts[: i + 1])}` in override {text!r}: "
                f"`{key}` has type {_type_name(annotation)}, so no sub-keys"
            )
    return annotation


def _is_mapping(annotation: Any) -> bool:
    arms = _strip_optional(annotation)
    if len(arms) != 1:
        return False
    origin = typing.get_origin(arms[0]) or arms[0]
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


def _strip_optional(annotation: Any) -> list[Any]:
    """The non-None members of an annotation (a union's arms, or the annotation itself)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model class an annotation holds (``Sub`` or ``Sub | None``), else None."""
    arms = _strip_optional(annotation)
    if len(arms) == 1 and isinstance(arms[0], type) and issubclass(arms[0], BaseModel):
        return arms[0]
    return None


def _wants_str(annotation: Any) -> bool:
    """True when the field takes text only, so the override's raw text is the value."""
    arms = _strip_optional(annotation)
    if len(arms) == 1 and isinstance(arms[0], type) and issubclass(arms[0], str | PurePath):
        return True
    if len(arms) == 1 and typing.get_origin(arms[0]) is Literal:
        return all(isinstance(a, str) for a in typing.get_args(arms[0]))
    return False


def _parse_value(raw: str, annotation: Any) -> Any:
    if raw in ("null", "~", "None"):
        return None
    if _wants_str(annotation):
        # A quoted value ('"1"') is unquoted by YAML; a bare one is taken verbatim.
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            return yaml.safe_load(raw)
        return raw
    try:
        return yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        return raw  # leave it to validation, which names the key and the value


def _set_path(data: dict[str, Any], parts: list[str], value: Any, text: str) -> None:
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif isinstance(child, BaseModel):
            child = node[part] = child.model_dump(mode="python")
        if not isinstance(child, dict):
            key = ".".join(parts[: i + 1])
            raise ConfigError(
                f"override {text!r}: `{key}` holds {child!r}, not a mapping, so it has no sub-keys"
            )
        node = child
    node[parts[-1]] = value


# ----------------------------------------------------------------------------------------------
# Validation errors -> ConfigError


def _validate(cls: type[C], data: dict[str, Any], *, source: str | None) -> C:
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as e:
        lines = [_describe_error(cls, err) for err in e.errors()]
        where = f" in {source}" if source else ""
        head = f"invalid {cls.__name__}{where}"
        if len(lines) == 1:
            raise ConfigError(f"{head}: {lines[0]}") from None
        raise ConfigError(head + ":\n  " + "\n  ".join(lines)) from None


def _describe_error(cls: type[BaseModel], err: Mapping[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or "<root>"
    if err["type"] == "extra_forbidden":
        parent = _model_at(cls, loc[:-1])
        known = sorted(parent.model_fields) if parent is not None else []
        hint = did_you_mean(loc[-1], known) if known else ""
        listing = f" (known: {', '.join(known)})" if known else ""
        return f"unknown key `{key}`{listing}.{hint}"
    value = err.get("input")
    msg = err["msg"]
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):
        msg = str(err["ctx"]["error"])  # our own validators' words, without pydantic's prefix
        if isinstance(value, Mapping):  # a whole-model check: its message names the fields
            return msg if not loc else f"in `{key}`: {msg}"
        sep = ", " if msg.startswith("need") else ": "
        return f"got {key}={value!r}{sep}{msg}"
    return f"got {key}={value!r}, {_lowercase_first(msg)}"


def _model_at(cls: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = cls
    for part in loc:
        if model is None or part not in model.model_fields:
            return None
        model = _model_of(model.model_fields[part].annotation)
    return model


def _lowercase_first(msg: str) -> str:
    # pydantic says "Input should be 'a' or 'b'"; read as "got x=..., need: input should be ..."
    return "need: " + (msg[:1].lower() + msg[1:] if msg else msg)


# ----------------------------------------------------------------------------------------------
# Writing


def to_yaml(config: BaseModel, *, comments: bool = False) -> str:
    """The config as YAML that `load_config` reads back to an equal config.

    Args:
        config: Any pydantic model.
        comments: Put each field's description above it as a ``#`` comment.
    """
    if not comments:
        data = config.model_dump(mode="json")
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)
    return "\n".join(_commented_lines(config, indent=0)) + "\n"


def _commented_lines(model: BaseModel, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if field.description:
            lines.extend(f"{pad}# {line}".rstrip() for line in field.description.splitlines())
        if isinstance(value, BaseModel):
            lines.append(f"{pad}{name}:")
            lines.extend(_commented_lines(value, indent + 2))
        else:
            dumped = pydantic.TypeAdapter(Any).dump_python(value, mode="json")
            lines.append(f"{pad}{name}: {_flow(dumped)}")
    return lines


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def dump_config(config: BaseModel, path: str | Path) -> Path:
    """Write `config` as YAML (with field comments) to `path` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(config, comments=True))
    return path


def print_config(config: BaseModel, file: TextIO | None = None) -> None:
    """Print the resolved config as commented YAML (what ``--print-config`` shows)."""
    print(to_yaml(config, comments=True), end="", file=file or sys.stdout)


# ----------------------------------------------------------------------------------------------
# Command line


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--config FILE``, ``--set KEY=VALUE`` (repeatable) and ``--print-config``."""
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="FILE", help="YAML config file (over the defaults)")
    group.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one config value by dotted key, e.g. --set optim.lr=1e-6 (repeatable)",
    )
    group.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved config as commented YAML and exit",
    )


def config_from_args(
    cls: type[C],
    args: argparse.Namespace,
    *,
    base: Mapping[str, Any] | BaseModel | None = None,
    extra_overrides: Sequence[str] = (),
) -> C:
    """The config that `add_config_args` options describe: `base` < ``--config`` < ``--set``.

    `extra_overrides` go between the file and ``--set`` (for dedicated flags such as
    ``--env``, which an explicit ``--set`` may still override).
    """
    overrides = [*extra_overrides, *getattr(args, "overrides", [])]
    return load_config(cls, getattr(args, "config", None), overrides, base=base)
