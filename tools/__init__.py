"""Tools: the plumbing every tool uses, and the built-in tools.

``agentrl.tools.base``    `Tool`, the `tool` decorator, argument checks, executing calls
``agentrl.tools.schema``  JSON schemas from Python signatures and docstrings
``agentrl.tools.calls``   parsing and rendering tool calls in the hermes, llama3 and xml formats

Importing this package registers the built-in tools, lazily (no tool module is imported):

| name         | what it does                                                               |
|--------------|----------------------------------------------------------------------------|
| `python`     | sandboxed code: reads Python and its scratch only, no network, limits      |
| `calculator` | exact arithmetic through sympy's parser, with a hard timeout                |
| `search`     | BM25 over a document collection given at construction (`documents=[...]`)   |

``agentrl.registration.tools.make("python")`` returns a `Tool`; keyword arguments go to the
tool's factory (``make("python", wall_time_s=2)``, ``make("search", documents=docs)``).
"""

import contextlib as _contextlib

from agentrl.errors import ConfigError as _ConfigError
from agentrl.registration import tools as _registry

_BUILTINS = {
    "python": "agentrl.tools.python:PythonTool",
    "calculator": "agentrl.tools.calculator:calculator.with_options",
    "search": "agentrl.tools.search:SearchTool",
}

for _name, _entry_point in _BUILTINS.items():
    with _contextlib.suppress(_ConfigError):  # already registered: a reload of this module
        _registry.register(_name, _entry_point, source="agentrl", metadata={"origin": _entry_point})
