"""How the app's answers go on the wire (server-sent events, one text piece per token) and how
request messages are normalized for the chat template."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from fastapi.responses import StreamingResponse

from agentrl.serve import protocol as p


def request_message(m: Mapping[str, Any], k: int) -> dict[str, Any]:
    """A request message normalized for the chat template (text parts joined)."""
    role = m.get("role")
    if role not in ("system", "user", "assistant", "tool", "developer"):
        raise p.APIError(
            400,
            f"messages.{k}.role: got {role!r}, need system/user/assistant/tool",
            param=f"messages.{k}.role",
        )
    content = m.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    elif content is not None and not isinstance(content, str):
        raise p.APIError(
            400,
            f"messages.{k}.content must be a string or a list of parts",
            param=f"messages.{k}.content",
        )
    out = {**m, "role": "system" if role == "developer" else role, "content": content or ""}
    return out


def visible_pieces(c: p.Choice) -> list[str]:
    """Split the visible text at the token boundaries: one piece per token, joined == text."""
    pieces, position = [], 0
    for piece in c.piece_texts:
        end = min(len(c.text), position + len(piece))
        pieces.append(c.text[position:end])
        position = end
    if pieces:
        pieces[-1] += c.text[position:]
    else:
        pieces = [c.text]
    return pieces


def sse_async(chunks: AsyncIterator[dict[str, Any]]) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        async for chunk in chunks:
            yield f"data: {json.dumps(chunk)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def sse(chunks: Iterator[dict[str, Any]]) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        for chunk in chunks:
            yield f"data: {json.dumps(chunk)}\n\n"
            await asyncio.sleep(0)  # let other requests (and disconnect checks) run
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
