"""The ``python`` tool: run model-written code in the sandbox of `agentrl.tools.sandbox`."""

from __future__ import annotations

import dataclasses
from typing import Any

from agentrl.tools.base import tool

from .sandbox import SandboxLimits, isolation, run_python


@tool(name="python", register=False)
class PythonTool:
    """Run Python code in a sandbox and return what it prints.

    Args:
        limits: the sandbox's limits; keyword overrides (``wall_time_s=2``,
            ``read_paths=("/data/tables",)``, ``require_isolation=True``) apply on top.

    Attributes:
        isolation: which mechanisms confine the code on this machine (files, network, user,
            processes), as `agentrl.tools.sandbox.isolation` reports them.
    """

    def __init__(self, limits: SandboxLimits | None = None, **overrides: Any) -> None:
        self.limits = dataclasses.replace(limits or SandboxLimits(), **overrides)
        # The tool's own timeout must not fire before the sandbox's wall clock does.
        self.tool_options = {"timeout_s": self.limits.wall_time_s + 10.0}

    @property
    def isolation(self) -> dict[str, str]:
        return isolation(self.limits)

    def __call__(self, code: str) -> str:
        """Run Python 3 code in a fresh, isolated process and return its printed output.

        The value of a final expression is printed too, as in a notebook. There is no network
        access; files may be written only in the current directory, which is deleted afterwards.
        numpy and sympy are available.

        Args:
            code: the Python source code to run.
        """
        return run_python(code, self.limits).report()
