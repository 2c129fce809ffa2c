"""`agentrl serve`: an OpenAI-compatible HTTP server over any `Sampler`.

>>> from agentrl.serve import ServerThread, create_app
>>> app = create_app(sampler, tokenizer, model_name="tiny")  # doctest: +SKIP
>>> with ServerThread(app) as server:  # doctest: +SKIP
...     client = openai.OpenAI(base_url=server.url + "/v1", api_key="none")
"""

from __future__ import annotations

from agentrl.serve.app import create_app
from agentrl.serve.batching import BatchingEngine
from agentrl.serve.recording import Recorder
from agentrl.serve.runner import ServerThread

__all__ = ["BatchingEngine", "Recorder", "ServerThread", "create_app"]
