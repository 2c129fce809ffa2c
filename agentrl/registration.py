"""One generic registry for environments, tools, rewards, model presets and eval suites.

Ids may carry a version suffix (``gsm8k-v0``). Looking up the bare name (``gsm8k``) resolves the
highest registered version. Entry points are either objects or lazy ``"module:attr"`` strings,
imported on first use, so registering costs nothing. Third-party packages add entries through an
``importlib.metadata`` entry-point group (``[project.entry-points."agentrl.envs"]`` in their
pyproject): the entry point's name is the id and its value the ``"module:attr"`` to load.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agentrl.errors import AgentRLError, ConfigError, UnknownIdError, did_you_mean

T = TypeVar("T")

_ID_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.:/-]*?)(?:-v(?P<version>\d+))?$")


def parse_id(id: str) -> tuple[str, int | None]:
    """Split ``"gsm8k-v2"`` into ``("gsm8k", 2)``; an unversioned id gives ``(id, None)``."""
    match = _ID_RE.match(id) if isinstance(id, str) else None
    if match is None:
        raise ConfigError(f"invalid id {id!r}: use letters, digits and '_.-', optionally '-vN'")
    version = match.group("version")
    return match.group("name"), None if version is None else int(version)


def load_entry_point(target: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"entry point {target!r} is not of the form 'module:attr'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise AgentRLError(f"cannot import {module_name!r} for entry point {target!r}: {e}") from e
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as e:
            raise AgentRLError(f"entry point {target!r}: {module_name} has no {attr!r}") from e
    return obj


@dataclass(frozen=True)
class Spec(Generic[T]):
    """What is registered under one id: how to build it and with which default kwargs."""

    id: str
    entry_point: str | Callable[..., T]
    kwargs: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = "agentrl"  # "agentrl", "user" or the distribution name of a plugin

    @property
    def name(self) -> str:
        return parse_id(self.id)[0]

    @property
    def version(self) -> int | None:
        return parse_id(self.id)[1]

    def load(self) -> Callable[..., T]:
        """The factory (class or function) behind the entry point, imported if lazy."""
        if isinstance(self.entry_point, str):
            return load_entry_point(self.entry_point)
        return self.entry_point

    def make(self, **kwargs: Any) -> T:
        return self.load()(**{**self.kwargs, **kwargs})


class Registry(Generic[T]):
    """A name -> `Spec` table with versioned ids, close-match errors and plugin discovery.

    Args:
        kind: what it holds, for messages ("environment", "tool", ...).
        builtins: a module imported on first lookup; importing it registers the built-in ids.
        entry_point_group: the ``importlib.metadata`` group scanned for plugins on first lookup.
    """

    def __init__(
        self, kind: str, *, builtins: str | None = None, entry_point_group: str | None = None
    ) -> None:
        self.kind = kind
        self._builtins = builtins
        self._group = entry_point_group
        self._specs: dict[str, Spec[T]] = {}
        self._loaded = False
        self._loading = False
        self.plugin_errors: dict[str, str] = {}

    # -- registration -------------------------------------------------------------------------
    def register(
        self,
        id: str,
        entry_point: str | Callable[..., T],
        *,
        metadata: dict[str, Any] | None = None,
        overwrite: bool = False,
        source: str = "user",
        **kwargs: Any,
    ) -> Spec[T]:
        """Register `entry_point` under `id`; `kwargs` become defaults for `make`."""
        parse_id(id)
        if id in self._specs and not overwrite:
            raise ConfigError(f"{self.kind} {id!r} is already registered; pass overwrite=True")
        spec: Spec[T] = Spec(id, entry_point, dict(kwargs), dict(metadata or {}), source)
        self._specs[id] = spec
        return spec

    def unregister(self, id: str) -> None:
        self._specs.pop(self.resolve(id), None)

    # -- lookup ------------------------------------------------------------------------------
    def resolve(self, id: str) -> str:
        """The registered id that `id` names: itself, or the latest version of a bare name."""
        self._ensure_loaded()
        if id in self._specs:
            return id
        name, version = parse_id(id)
        if version is None:
            versions = [
                (spec.version, key)
                for key, spec in self._specs.items()
                if spec.name == name and spec.version is not None
            ]
            if versions:
                return max(versions)[1]
        known = sorted(self._specs)
        hint = did_you_mean(id, known) or did_you_mean(name, [parse_id(k)[0] for k in known])
        raise UnknownIdError(
            f"no {self.kind} named {id!r}.{hint} Registered: {', '.join(known) or 'none'}."
        )

    def spec(self, id: str) -> Spec[T]:
        return self._specs[self.resolve(id)]

    def make(self, id: str, **kwargs: Any) -> T:
        return self.spec(id).make(**kwargs)

    def ids(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._specs)

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, str):
            return False
        try:
            self.resolve(id)
        except (UnknownIdError, ConfigError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __len__(self) -> int:
        return len(self.ids())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._specs)} entries)"

    # -- discovery ---------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            if self._builtins:
                importlib.import_module(self._builtins)
            if self._group:
                self.load_plugins()
            self._loaded = True
        finally:
            self._loading = False

    def load_plugins(self) -> None:
        """Register every entry point of this registry's group that is not registered yet.

        A broken plugin does not break the registry: its error is kept in `plugin_errors`.
        """
        if not self._group:
            return
        for ep in importlib.metadata.entry_points(group=self._group):
            if ep.name in self._specs:
                continue
            try:
                dist = ep.dist.name if ep.dist is not None else "plugin"
                self.register(ep.name, ep.value, source=dist)
            except AgentRLError as e:
                self.plugin_errors[ep.name] = str(e)


# The registries. Built-ins register themselves when their package is first imported.
envs: Registry[Any] = Registry(
    "environment", builtins="agentrl.envs", entry_point_group="agentrl.envs"
)
tools: Registry[Any] = Registry("tool", builtins="agentrl.tools", entry_point_group="agentrl.tools")
rewards: Registry[Any] = Registry(
    "reward", builtins="agentrl.rewards", entry_point_group="agentrl.rewards"
)
