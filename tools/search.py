"""The ``search`` tool: BM25 ranking over a document collection the environment provides.

>>> from agentrl.tools.search import SearchTool
>>> search = SearchTool(documents=["Paris is the capital of France.", "Cats purr."])
>>> print(search(query="capital of France", k=1))
[1] doc-0: Paris is the capital of France.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentrl.errors import ToolError
from agentrl.tools.base import tool

_WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str


def _document(item: str | Mapping[str, str], index: int) -> Document:
    if isinstance(item, str):
        return Document(f"doc-{index}", "", item)
    if isinstance(item, Mapping) and isinstance(item.get("text"), str):
        return Document(
            str(item.get("id", f"doc-{index}")), str(item.get("title", "")), item["text"]
        )
    raise ToolError(
        f"document {index} must be a str or a mapping with a 'text' str, got {type(item).__name__}"
    )


class BM25:
    """Okapi BM25 over tokenized documents.

    score(q, d) = sum over query terms t of idf(t) * f(t,d) * (k1 + 1)
                  / (f(t,d) + k1 * (1 - b + b * |d| / avgdl)),
    idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5)) (never negative).
    """

    def __init__(self, documents: Sequence[list[str]], *, k1: float = 1.5, b: float = 0.75):
        if k1 < 0 or not 0 <= b <= 1:
            raise ToolError(f"got k1={k1}, b={b}; need k1 >= 0 and 0 <= b <= 1")
        self.k1, self.b = k1, b
        self.term_counts = [Counter(tokens) for tokens in documents]
        self.lengths = [len(tokens) for tokens in documents]
        self.avgdl = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter[str] = Counter()
        for counts in self.term_counts:
            frequency.update(counts.keys())
        n = len(documents)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}

    def scores(self, query: list[str]) -> list[float]:
        out = []
        for counts, length in zip(self.term_counts, self.lengths):
            norm = self.k1 * (1 - self.b + self.b * length / self.avgdl) if self.avgdl else 0.0
            score = 0.0
            for term in query:
                f = counts.get(term, 0)
                if f:
                    score += self.idf[term] * f * (self.k1 + 1) / (f + norm)
            out.append(score)
        return out


def _snippet(text: str, query: set[str], chars: int) -> str:
    """`chars` characters of `text` around the first query term it contains."""
    if len(text) <= chars:
        return text
    first = next((m.start() for m in _WORD.finditer(text) if m.group().lower() in query), 0)
    start = max(0, min(first - chars // 4, len(text) - chars))
    piece = text[start : start + chars]
    return ("..." if start else "") + piece + ("..." if start + chars < len(text) else "")


@tool(name="search", timeout_s=10.0, register=False)
class SearchTool:
    """Search the document collection and return the best-matching passages."""

    def __init__(
        self,
        documents: Sequence[str | Mapping[str, str]],
        *,
        k: int = 3,
        snippet_chars: int = 300,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        if k < 1 or snippet_chars < 1:
            raise ToolError(f"got k={k}, snippet_chars={snippet_chars}; need both >= 1")
        self.documents = [_document(item, i) for i, item in enumerate(documents)]
        self.index = BM25([tokenize(f"{d.title} {d.text}") for d in self.documents], k1=k1, b=b)
        self.default_k = k
        self.snippet_chars = snippet_chars

    def __call__(self, query: str, k: int | None = None) -> str:
        """Search the documents for a query; returns the top matches with snippets.

        Args:
            query: words to search for.
            k: how many results to return (default: the collection's setting, usually 3).
        """
        terms = tokenize(query)
        k = self.default_k if k is None else max(1, min(k, 20))
        scores = self.index.scores(terms)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        hits = [i for i in ranked[:k] if scores[i] > 0]
        if not hits:
            return f"no results for {query!r}"
        wanted = set(terms)
        lines = []
        for rank, i in enumerate(hits, 1):
            doc = self.documents[i]
            label = f"{doc.id} ({doc.title})" if doc.title else doc.id
            lines.append(f"[{rank}] {label}: {_snippet(doc.text, wanted, self.snippet_chars)}")
        return "\n".join(lines)
