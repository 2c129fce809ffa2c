"""Moving the trainer's weights to inference servers, verified.

The transport is a versioned Hugging Face safetensors folder in the run folder
(``RUN/weights/v000012/``), written atomically: the files go to a hidden temporary folder that is
renamed into place only when complete, so a server never sees half a version. Why a folder and
not a stream over HTTP:

- it is what every server can read: ``agentrl serve`` (``POST /v1/weights``), vLLM's reload
  path (it loads a model folder) and SGLang's ``/update_weights_from_disk``; a stream needs a
  receiver per server kind;
- a server that restarts (a launched one after a crash) starts from the newest folder and is
  on the current policy at once, with no trainer in the loop;
- the published folder is evidence: a refused or suspicious sync can be inspected afterwards.

The cost is a disk write and read per sync (a shared filesystem across machines); for multi-GB
models on separate hosts NCCL broadcast (vLLM's ``--weight-transfer-config``) is faster and is
the part of the vLLM path that cannot run on these machines.

Verification: the trainer computes `weights_checksum` over the tensors it publishes and sends
it with the push; the server computes the same checksum over the arrays it *loaded* and
refuses (keeping its weights) when they differ, so a truncated or bit-flipped file never
serves; the trainer then compares the checksum the server reports with its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from agentrl.errors import ServerUnreachable, WeightSyncError

MANIFEST = "agentrl_weights.json"


@dataclass(frozen=True)
class Published:
    """One published version: its folder, version number and checksum."""

    path: Path
    version: int
    checksum: str


def tensor_dtypes(model: Any) -> dict[str, str]:
    """The dtype each checkpoint tensor of `model` is published in (name -> numpy name)."""
    from agentrl.models.hf_io import checkpoint_entries

    return {e.name: np.dtype(e.dtype).name for e in checkpoint_entries(model)}


def weights_checksum(model: Any, dtypes: Mapping[str, str] | None = None) -> str:
    """SHA-256 over the model's checkpoint tensors (names, dtypes, shapes and bytes, in name
    order): the same number on the trainer and on a server that loaded the same weights.

    `dtypes` (a published folder's, from its manifest) casts each tensor first: a server that
    holds bfloat16 weights in float32 holds exactly the same values."""
    from agentrl.models.hf_io import checkpoint_entries

    digests = []
    for entry in checkpoint_entries(model):
        array = np.asarray(entry.produce())
        if dtypes is not None and entry.name in dtypes:
            array = array.astype(np.dtype(dtypes[entry.name]))
        array = np.ascontiguousarray(array)
        h = hashlib.sha256(f"{entry.name}|{array.dtype.str}|{array.shape}|".encode())
        h.update(array.tobytes())
        digests.append((entry.name, h.hexdigest()))
    total = hashlib.sha256()
    for name, digest in sorted(digests):
        total.update(f"{name}={digest};".encode())
    return total.hexdigest()


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The ``agentrl_weights.json`` of a published folder (version, checksum), or None."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else None


class WeightPublisher:
    """Writes versioned weight folders under `root`, atomically, keeping the newest `keep`.

    Args:
        root: the folder that holds ``vNNNNNN/`` (created if needed).
        tokenizer: written beside the weights, so every folder is a servable model.
        keep: published versions kept on disk (older ones are deleted after each publish).
    """

    def __init__(self, root: str | Path, tokenizer: Any, *, keep: int = 2) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.tokenizer = tokenizer
        self.keep = max(1, keep)
        self.latest: Published | None = None

    def folder(self, version: int) -> Path:
        return self.root / (f"v{version:06d}" if version >= 0 else "init")

    def publish(self, model: Any, version: int) -> Published:
        """Write `model` as version `version` and return where (with its checksum)."""
        from agentrl.models.hf_io import save

        final = self.folder(version)
        tmp = self.root / f".{final.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        checksum = weights_checksum(model)
        save(model, self.tokenizer, tmp)
        manifest = {
            "version": version,
            "checksum": checksum,
            "dtypes": tensor_dtypes(model),
            "written_at": time.time(),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest) + "\n")
        if final.exists():  # a resumed run republishes a version its first process wrote
            shutil.rmtree(final)
        os.replace(tmp, final)
        self.latest = Published(final, version, checksum)
        self._prune()
        return self.latest

    def _prune(self) -> None:
        versions = sorted(p for p in self.root.glob("v[0-9]*") if p.is_dir())
        for old in versions[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)


ServerKind = Literal["agentrl", "vllm"]


class WeightPusher:
    """Tells servers to load a published version and checks what they loaded.

    ``kind="agentrl"``: ``POST {url}/v1/weights {"path", "version", "checksum"}``; the server
    answers with the checksum of the arrays it loaded (and refuses a mismatch itself).

    ``kind="vllm"`` (a ``vllm serve`` started with ``VLLM_SERVER_DEV_MODE=1``; see
    `VLLMReload`): pause, reload the folder, resume. vLLM reports no checksum of what it
    loaded, so there the check is the published folder's own (re-read and hashed by the
    trainer before the push) and the version is tracked on the client side.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        kind: ServerKind = "agentrl",
        api_key: str | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self.urls = [u.rstrip("/").removesuffix("/v1") for u in urls]
        self.kind = kind
        self.timeout_s = timeout_s
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.pushes = 0

    def push(
        self, published: Published, urls: Sequence[str] | None = None
    ) -> dict[str, str | ServerUnreachable]:
        """Load `published` on every server (or on `urls`); return each one's checksum, or
        the `ServerUnreachable` error of a server that could not be reached.

        Raises:
            WeightSyncError: a server refused the weights or reports another checksum.
        """
        targets = list(urls) if urls is not None else self.urls

        def one(url: str) -> str | ServerUnreachable:
            try:
                return self._push_one(url, published)
            except ServerUnreachable as e:
                return e

        with ThreadPoolExecutor(max(1, len(targets))) as pool:
            results = list(pool.map(one, targets))
        self.pushes += 1
        return dict(zip(targets, results))

    def _push_one(self, url: str, published: Published) -> str:
        if self.kind == "vllm":
            VLLMReload(url, self.headers, self.timeout_s).load(published)
            return published.checksum
        import httpx

        body = {
            "path": str(published.path),
            "version": published.version,
            "checksum": published.checksum,
        }
        try:
            response = httpx.post(
                url + "/v1/weights", json=body, headers=self.headers, timeout=self.timeout_s
            )
        except httpx.TransportError as e:
            raise ServerUnreachable(
                f"{url}: could not push weights version {published.version}: "
                f"{type(e).__name__}: {e}"
            ) from None
        if response.status_code != 200:
            raise WeightSyncError(
                f"{url} refused weights version {published.version} from {published.path} "
                f"({response.status_code}): {response.text.strip()[:400]}"
            )
        answer = response.json()
        got = str(answer.get("checksum"))
        if got != published.checksum or answer.get("version") != published.version:
            raise WeightSyncError(
                f"{url} reports weights version {answer.get('version')} with checksum "
                f"{got[:16]}..., the trainer published version {published.version} with "
                f"{published.checksum[:16]}...: it is not serving the trainer's policy"
            )
        return got


class VLLMReload:
    """vLLM's documented reload path for a running ``vllm serve``, behind `WeightPusher`.

    The RL control routes exist only with ``VLLM_SERVER_DEV_MODE=1`` (vLLM's
    ``entrypoints/serve/rlhf``): ``POST /pause?wait_for_inflight_requests=true`` lets running
    requests finish on the old weights and holds new ones, ``POST /collective_rpc`` with
    ``{"method": "reload_weights", "kwargs": {"weights_path": FOLDER}}`` makes every worker
    load the folder (the same safetensors layout as the model it serves), ``POST /resume``
    releases the held requests. A GPU user starts the server as::

        VLLM_SERVER_DEV_MODE=1 vllm serve RUN/weights/init --served-model-name policy \\
            --port 8000 --return-tokens-as-token-ids --logprobs-mode processed_logprobs

    What cannot run here (no CUDA build of vllm on these machines): this class is exercised
    only against a fake server in the tests; the route names follow vLLM's docs (0.14+) and
    older releases lack ``/pause``. vLLM returns no checksum of the loaded weights and no
    policy version per response, so `WeightPusher` verifies the folder instead and
    `OpenAISampler` stamps completions with the version last pushed to that endpoint.
    """

    def __init__(self, url: str, headers: dict[str, str], timeout_s: float) -> None:
        self.url, self.headers, self.timeout_s = url, headers, timeout_s

    def load(self, published: Published) -> None:
        import httpx

        manifest = read_manifest(published.path) or {}
        if manifest.get("checksum") != published.checksum:
            raise WeightSyncError(
                f"{published.path}: its manifest does not match the published checksum"
            )
        steps = [
            ("/pause", {"wait_for_inflight_requests": "true"}, None),
            (
                "/collective_rpc",
                None,
                {"method": "reload_weights", "kwargs": {"weights_path": str(published.path)}},
            ),
            ("/resume", None, None),
        ]
        with httpx.Client(timeout=self.timeout_s, headers=self.headers) as client:
            for path, query, body in steps:
                try:
                    response = client.post(self.url + path, params=query, json=body)
                except httpx.TransportError as e:
                    raise ServerUnreachable(f"{self.url}{path}: {type(e).__name__}: {e}") from None
                if response.status_code != 200:
                    if path != "/resume":  # never leave the server paused
                        client.post(self.url + "/resume")
                    raise WeightSyncError(
                        f"{self.url}{path} answered {response.status_code}: "
                        f"{response.text.strip()[:300]} (vLLM needs VLLM_SERVER_DEV_MODE=1)"
                    )
