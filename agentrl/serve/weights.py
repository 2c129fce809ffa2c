"""Live weight updates for ``agentrl serve``: ``POST /v1/weights`` and the policy version.

``POST /v1/weights {"path": FOLDER, "version": V, "checksum": C}`` loads a published folder
(`agentrl.sampling.weight_sync`), computes the checksum of the arrays it loaded and refuses
(409, weights unchanged) when it differs from ``C``; an unreadable or truncated folder is
refused with 400. Accepted weights are swapped in between requests: new generation requests
wait at a gate, the ones in flight finish on the weights they started with, then the model's
parameters are replaced and the gate opens. Every answer to ``/v1/completions`` and
``/v1/chat/completions`` carries ``x-agentrl-policy-version``: the version it was generated
with (a swap cannot happen while it is in flight). ``GET /v1/weights`` reports the version,
checksum and folder being served.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

from agentrl.serve import protocol as p

VERSION_HEADER = "x-agentrl-policy-version"
_GATED = ("/v1/completions", "/v1/chat/completions")


class WeightGate:
    """Requests enter while the gate is open; a swap closes it, waits until no request is in
    flight, runs, and reopens it (a readers-writer lock on the event loop)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._open: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None

    def _events(self) -> tuple[asyncio.Event, asyncio.Event]:
        if self._open is None or self._idle is None:
            self._open, self._idle = asyncio.Event(), asyncio.Event()
            self._open.set()
            self._idle.set()
        return self._open, self._idle

    async def enter(self) -> None:
        is_open, idle = self._events()
        while not is_open.is_set():
            await is_open.wait()
        self.in_flight += 1
        idle.clear()

    def leave(self) -> None:
        _, idle = self._events()
        self.in_flight -= 1
        if self.in_flight == 0:
            idle.set()

    async def exclusive(self, fn: Any) -> Any:
        """Run `fn` (in a thread) once no request is in flight, holding new ones back."""
        is_open, idle = self._events()
        while not is_open.is_set():  # one swap at a time
            await is_open.wait()
        is_open.clear()
        try:
            await idle.wait()
            return await asyncio.get_running_loop().run_in_executor(None, fn)
        finally:
            is_open.set()


class ServedWeights:
    """What the server is serving: version, checksum, folder (and the swap machinery)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.sampler = server.sampler
        self.gate = WeightGate()
        self.version: int = int(getattr(self.sampler, "policy_version", 0))
        self.checksum: str | None = None
        self.path: str | None = None
        self.loads = 0

    def startup(self, folder: str | Path) -> None:
        """Adopt the version of a published folder the server was started from, after
        checking that what it loaded matches the folder's manifest."""
        from agentrl.sampling.weight_sync import WeightSyncError, read_manifest, weights_checksum

        manifest = read_manifest(folder)
        if manifest is None:
            return
        model = getattr(self.sampler, "model", None)
        checksum = weights_checksum(model, manifest.get("dtypes"))
        if checksum != manifest.get("checksum"):
            raise WeightSyncError(
                f"{folder}: the loaded weights hash to {checksum[:16]}..., its manifest says "
                f"{str(manifest.get('checksum'))[:16]}...: the folder is corrupted"
            )
        self.set_version(int(manifest["version"]), checksum, str(folder))

    def set_version(self, version: int, checksum: str | None, path: str | None) -> None:
        self.version, self.checksum, self.path = version, checksum, path
        # An engine keeping KV caches drops the ones the old weights computed.
        self.sampler.policy_version = version

    def load(self, path: str, version: int, checksum: str) -> dict[str, Any]:
        """Read and verify `path` (off the event loop), then swap it in between requests."""
        model = getattr(self.sampler, "model", None)
        if model is None:
            raise p.APIError(501, "this server's sampler has no model to load weights into")
        state = _read_verified(model, Path(path), checksum)
        return {"state": state}

    def swap(self, state: Any, version: int, checksum: str, path: str) -> None:
        from flax import nnx

        nnx.update(self.sampler.model, state)
        self.loads += 1
        self.set_version(version, checksum, path)


def _read_verified(model: Any, folder: Path, checksum: str) -> Any:
    """The parameters of the published `folder`, checked against `model`'s shapes and dtypes
    and against `checksum` (computed over what was read)."""
    import jax
    from flax import nnx

    from agentrl.models.hf_io import load
    from agentrl.sampling.weight_sync import read_manifest, weights_checksum

    if not (folder / "config.json").is_file():
        raise p.APIError(400, f"path {str(folder)!r}: no published weights there", param="path")
    live = nnx.state(model, nnx.Param)
    leaves = jax.tree.leaves(live)
    dtype = leaves[0].dtype if leaves else None
    try:
        loaded, _ = load(folder, dtype=getattr(model, "dtype", dtype), param_dtype=dtype)
    except Exception as e:  # truncated file, bad header, missing tensor: refuse, keep serving
        raise p.APIError(
            400, f"cannot load {folder}: {type(e).__name__}: {e}"[:600], param="path"
        ) from None
    new = nnx.state(loaded, nnx.Param)
    same = str(jax.tree.structure(new)) == str(jax.tree.structure(live)) and all(
        a.shape == b.shape and a.dtype == b.dtype
        for a, b in zip(jax.tree.leaves(new), leaves, strict=True)
    )
    if not same:
        raise p.APIError(400, f"{folder} holds another architecture than the served model")
    manifest = read_manifest(folder) or {}
    got = weights_checksum(loaded, manifest.get("dtypes"))
    if got != checksum:
        raise p.APIError(
            409,
            f"the weights in {folder} hash to {got[:16]}..., the request says "
            f"{checksum[:16]}...: refused (corrupted or partial push); still serving the "
            "previous version",
            param="checksum",
        )
    return new


def install(app: FastAPI, server: Any) -> ServedWeights:
    """Add ``/v1/weights`` and the version header/gate to `app` (the `create_app` app)."""
    weights = ServedWeights(server)
    app.state.weights = weights

    @app.middleware("http")
    async def policy_version(request: Request, call_next: Any) -> Any:
        if request.url.path not in _GATED:
            return await call_next(request)
        await weights.gate.enter()
        version = weights.version
        try:
            response = await call_next(request)
        except BaseException:
            weights.gate.leave()
            raise
        response.headers[VERSION_HEADER] = str(version)
        # A streamed body is still being produced: hold the gate until it is sent.
        body = response.body_iterator

        async def release() -> Any:
            try:
                async for chunk in body:
                    yield chunk
            finally:
                weights.gate.leave()

        response.body_iterator = release()
        return response

    @app.get("/v1/weights")
    async def current(request: Request) -> dict[str, Any]:
        server.authorize(request)
        return {
            "version": weights.version,
            "checksum": weights.checksum,
            "path": weights.path,
            "loads": weights.loads,
        }

    @app.post("/v1/weights")
    async def update(request: Request) -> dict[str, Any]:
        server.authorize(request)
        body = await request.json()
        if not isinstance(body, dict):
            raise p.APIError(400, "the body must be a JSON object")
        path, version, checksum = body.get("path"), body.get("version"), body.get("checksum")
        if not isinstance(path, str) or not isinstance(version, int):
            raise p.APIError(400, f"need 'path' (str) and 'version' (int), got {body!r}"[:300])
        if not isinstance(checksum, str):
            raise p.APIError(400, "need 'checksum': the trainer's checksum of these weights")
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        read = await loop.run_in_executor(None, weights.load, path, version, checksum)
        read_s = time.perf_counter() - started
        await weights.gate.exclusive(lambda: weights.swap(read["state"], version, checksum, path))
        return {
            "version": weights.version,
            "checksum": weights.checksum,
            "path": path,
            "read_s": read_s,
            "swap_s": time.perf_counter() - started - read_s,
        }

    return weights
