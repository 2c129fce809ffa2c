"""Find the final answer in a model's response.

Order of preference: the last ``\\boxed{...}`` / ``\\fbox{...}`` (braces may nest; ``\\boxed 5``
without braces takes the next token), then the last "answer is X" phrase, then a GSM8K-style
``#### X`` line, then the last number in the text. Returning None means nothing answer-like was
found; the grader reports that as "unparseable".
"""

from __future__ import annotations

import re

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b")
_ANSWER_IS_RE = re.compile(
    r"(?:final\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<ans>[^\n]+)", re.IGNORECASE
)
_HASHES_RE = re.compile(r"####\s*(?P<ans>[^\n]+)")
_CALCULATOR_RE = re.compile(r"<<[^<>\n]*>>")
_FILLER_RE = re.compile(r"^(?:therefore|thus|then|so|simply|just|exactly|equal to|:)\s*", re.I)
_LAST_NUMBER_RE = re.compile(r"=\s*(-?\$?\d[\d,]*(?:\.\d+)?)\s*[A-Za-z ]*\.?$")
# A number as people write it: sign, thousands separators, decimals, a simple fraction.
_NUMBER_RE = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:/\d+)?|-?\.\d+")


def extract_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` or ``\\fbox{...}``, or None.

    >>> extract_boxed(r"so \\boxed{\\frac{1}{2}} and finally \\boxed{3}")
    '3'
    >>> extract_boxed(r"\\boxed{\\{1, 2\\}}")
    '\\\\{1, 2\\\\}'
    """
    for match in reversed(list(_BOX_RE.finditer(text))):
        content = _box_argument(text, match.end())
        if content is not None and content.strip():
            return content.strip()
    return None


def _box_argument(text: str, pos: int) -> str | None:
    """The argument that starts at `pos`: a balanced ``{...}`` group or a bare token."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos >= len(text):
        return None
    if text[pos] != "{":
        # `\boxed 5` / `\boxed -3.5`: up to the next space, `$` or line end.
        token = re.match(r"[^\s$]+", text[pos:])
        return token.group(0) if token else None
    depth = 0
    for i in range(pos, len(text)):
        char = text[i]
        # `\{` is a literal brace (a set), not a group delimiter.
        if char == "{" and text[i - 1] != "\\":
            depth += 1
        elif char == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[pos + 1 : i]
    return None  # unbalanced: the response was cut off inside the box


def extract_answer(text: str) -> str | None:
    """The final answer of a response as written (not yet normalized), or None.

    >>> extract_answer("The answer is 42.")
    '42.'
    >>> extract_answer("5 apples and 7 pears make 12")
    '12'
    """
    if not isinstance(text, str):
        return None
    boxed = extract_boxed(text)
    if boxed is not None:
        return boxed
    text = _CALCULATOR_RE.sub("", text)  # GSM8K's `<<48+24=72>>` annotations
    for pattern in (_HASHES_RE, _ANSWER_IS_RE):
        matches = list(pattern.finditer(text))
        if matches:
            answer = _strip_sentence(matches[-1].group("ans"))
            if answer:
                return answer
    numbers = _NUMBER_RE.findall(text)
    return numbers[-1] if numbers else None


def _strip_sentence(answer: str) -> str:
    """Drop surrounding math delimiters and a sentence that runs on after the answer."""
    answer = answer.strip()
    math = re.fullmatch(r"\$+(.+?)\$+.*", answer) or re.fullmatch(r"\\\((.+?)\\\).*", answer)
    if math:
        return math.group(1).strip()
    # "42 because ..." / "42, since ...": keep the first clause.
    answer = re.split(r"\s+(?:because|since|as|which|so)\s", answer, maxsplit=1)[0]
    while (filler := _FILLER_RE.match(answer)) and filler.end() > 0:
        answer = answer[filler.end() :]  # "the answer is therefore 3"
    # "the answer is 15 gallons * 8 pints = 120 pints": the result of the arithmetic.
    if (result := _LAST_NUMBER_RE.search(answer)) is not None:
        answer = result.group(1)
    return answer.strip()
