"""Find the final answer in a model's response (and in a gold answer that is a whole solution).

Order of precedence, first that applies:

1. A "final answer is $X$" statement (``$..$``, ``\\(..\\)``, ``\\[..\\]``) written *after* the
   last box: the model boxed a step, then stated its answer.
2. The final ``\\boxed{...}`` / ``\\fbox{...}`` (braces may nest; ``\\boxed 5`` without braces
   takes the next token). `final_boxes` gives every box of the final group (boxes separated
   only by short connecting text such as ``, `` or ``\\quad\\text{and}\\quad``); the grader
   joins them into one set or tuple when the gold has several items, else the last box counts.
3. A GSM8K-style ``#### X`` line.
4. The last "answer is X" / "final answer: X" phrase: LaTeX right after it, else its clause up to
   the end of the sentence (``The largest $n$ is 34.`` gives ``34``; a wordy clause gives its
   number).
5. The only number of a closing "Therefore/Thus/So ..." sentence, when it is the last sentence
   and comes after the last math span (``Therefore, there are 12 such sequences.``); else the
   last math span: ``\\[..\\]`` or ``$$..$$`` (may span lines), ``$..$`` or ``\\(..\\)``
   (one line; ``\\$`` is a dollar sign, not a delimiter).
6. The whole response, when it is short and has no words (``1 000``, ``\\frac{10}{9}``).
7. The last number that stands on its own: a number glued inside a word (``AZYUK2A``) is not an
   answer. ``2,74`` is read as one token (a decimal comma, decided against the gold later).

Returning None means nothing answer-like was found; the grader reports that as "unparseable".
"""

from __future__ import annotations

import re

from agentrl.grading.normalize import _SINGLE_UNITS, _UNITS

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b")
_HASHES_RE = re.compile(r"####\s*(?P<ans>[^\n]+)")
# "answer is", "answer:", "final answer is": the LAST such marker counts.
_MARKER_RE = re.compile(r"(?:final\s+answer|answer)\s*(?:is\b|:|=)\s*:?", re.IGNORECASE)
_CALCULATOR_RE = re.compile(r"<<[^<>\n]*>>")
_FILLER_RE = re.compile(r"^(?:therefore|thus|then|so|simply|just|exactly|equal to|:)\s*", re.I)
_LAST_NUMBER_RE = re.compile(r"=\s*(-?\$?\d[\d,]*(?:\.\d+)?)\s*[A-Za-z ]*\.?$")
# Math delimiters, scanned left to right by `math_spans` (linear time, however many there are).
_DELIMITER_RE = re.compile(r"\\\[|\\\]|\\\(|\\\)|\\\$|\$\$|\$|\n")
_CLOSER = {"\\[": "\\]", "$$": "$$", "$": "$", "\\(": "\\)"}
_INLINE = ("$", "\\(")
# A number standing on its own: not glued to a letter, digit or command before it (`AZYUK2A`
# holds no answer); a letter right after it must start a unit (`1,000.99m²`), see `_numbers`.
_TOKEN_NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9_\\.])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?(?:/\d+)?|\.\d+)(?!\d)"
)
_UNIT_AFTER_RE = re.compile(rf"(?:{_UNITS}|{_SINGLE_UNITS})(?![A-Za-z])", re.IGNORECASE)
_COMMAND_RE = re.compile(r"\\[A-Za-z]+")
_SIGN_OFF_RE = re.compile(r"\s*I hope (?:it|this) is correct\.?\s*$", re.IGNORECASE)
_CONCLUSION_RE = re.compile(r"(?:therefore|thus|hence|so|in total|altogether)\b", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"\n|\.(?=\s|$)|\s+I hope\b", re.IGNORECASE)
_BARE_MAX_CHARS = 120
_SOLUTION_MIN_CHARS = 200
_MAX_BOXES = 32
_MAX_SPAN_CHARS = 4000
_BOX_GAP_CHARS = 80  # boxes further apart than this belong to different statements


def extract_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` or ``\\fbox{...}``, or None.

    >>> extract_boxed(r"so \\boxed{\\frac{1}{2}} and finally \\boxed{3}")
    '3'
    >>> extract_boxed(r"\\boxed{\\{1, 2\\}}")
    '\\\\{1, 2\\\\}'
    """
    boxes = _boxes(text)
    return boxes[-1][2] if boxes else None


def final_boxes(text: str) -> list[str]:
    """The contents of the final group of boxes, in order (empty when there is no box).

    >>> final_boxes(r"so \\boxed{3}. Later: \\[\\boxed{1}, \\quad \\boxed{2}\\]")
    ['1', '2']
    """
    boxes = _boxes(text)
    if not boxes:
        return []
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        gap = text[box[1] : group[0][0]]
        if len(gap) > _BOX_GAP_CHARS or re.search(r"\n\s*\n|[.;]\s", gap) or _words(gap, 2) > 2:
            break
        group.insert(0, box)
    return [content for _, _, content in group]


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every non-empty box."""
    if not isinstance(text, str) or "\\" not in text:
        return []
    found = []
    # Only the last boxes matter; a cap keeps a response full of cut-off boxes linear.
    for match in list(_BOX_RE.finditer(text))[-_MAX_BOXES:]:
        argument = _box_argument(text, match.end())
        if argument is not None and argument[0].strip():
            found.append((match.start(), argument[1], argument[0].strip()))
    return found


def _box_argument(text: str, pos: int) -> tuple[str, int] | None:
    """The argument that starts at `pos` (a balanced ``{...}`` group or a bare token) and the
    position after it."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos >= len(text):
        return None
    if text[pos] != "{":
        # `\boxed 5` / `\boxed -3.5`: up to the next space, `$` or line end.
        token = re.match(r"[^\s$]+", text[pos:])
        return (token.group(0), pos + token.end()) if token else None
    depth = 0
    for i in range(pos, len(text)):
        char = text[i]
        # `\{` is a literal brace (a set), not a group delimiter.
        if char == "{" and text[i - 1] != "\\":
            depth += 1
        elif char == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[pos + 1 : i], i + 1
    return None  # unbalanced: the response was cut off inside the box


def extract_answer(text: str) -> str | None:
    """The final answer of a response as written (not yet normalized), or None.

    >>> extract_answer("The answer is 42.")
    '42'
    >>> extract_answer("5 apples and 7 pears make 12")
    '12'
    >>> extract_answer(r"Final Answer: The final answer is $10,455$. I hope it is correct.")
    '10,455'
    >>> extract_answer("AZYUK2A") is None
    True
    """
    if not isinstance(text, str):
        return None
    boxes = _boxes(text)
    if boxes:
        stated = _stated_in_latex(text, after=boxes[-1][1])
        return stated if stated is not None else boxes[-1][2]
    return _unboxed_answer(text)


def _unboxed_answer(text: str) -> str | None:
    """Rules 3-7 of the module docstring."""
    text = _CALCULATOR_RE.sub("", text)  # GSM8K's `<<48+24=72>>` annotations
    hashes = list(_HASHES_RE.finditer(text))
    if hashes and (hashed := _strip_sentence(hashes[-1].group("ans"))):
        return hashed
    markers = list(_MARKER_RE.finditer(text))
    if markers and (stated := _clause_answer(text, markers[-1])):
        return stated
    spans = math_spans(text)
    tail = text[spans[-1][1] :] if spans else text
    if (concluded := _conclusion_number(tail)) is not None:
        return concluded
    if spans and (content := _span_content(spans[-1])):
        return content
    stripped = text.strip()
    if stripped and len(stripped) <= _BARE_MAX_CHARS and _words(stripped) == 0:
        return stripped
    numbers = _numbers(text)
    return numbers[-1] if numbers else None


def _numbers(text: str) -> list[str]:
    """The numbers of `text` that stand on their own (rule 7)."""
    found = []
    for match in _TOKEN_NUMBER_RE.finditer(text):
        after = text[match.end() : match.end() + 12]
        if after[:1].isalpha() and not _UNIT_AFTER_RE.match(after):
            continue
        found.append(match.group(0))
    return found


def math_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of the math spans of `text`: ``\\[..\\]`` and ``$$..$$`` may
    cross lines, ``$..$`` and ``\\(..\\)`` may not; ``\\$`` is a dollar sign.

    >>> [c for _, _, c in math_spans(r"cost \\$5, so $x=1$ and \\[ y \\]")]
    ['x=1', ' y ']
    """
    spans: list[tuple[int, int, str]] = []
    opener, opened_at, content_at = "", 0, 0
    for match in _DELIMITER_RE.finditer(text):
        token = match.group()
        if token == "\\$":
            continue
        if not opener:
            if token in _CLOSER:
                opener, opened_at, content_at = token, match.start(), match.end()
        elif token == _CLOSER[opener]:
            spans.append((opened_at, match.end(), text[content_at : match.start()]))
            opener = ""
        elif token == "\n" and opener in _INLINE:
            opener = ""  # an inline span does not cross lines
    return spans


def _span_content(span: tuple[int, int, str]) -> str:
    return span[2].strip()


def _stated_in_latex(text: str, after: int) -> str | None:
    """The LaTeX answer of the last "final answer is $X$" that starts after position `after`."""
    markers = [m for m in _MARKER_RE.finditer(text, after)]
    if not markers:
        return None
    return _leading_span(text[markers[-1].end() :])


def _leading_span(rest: str) -> str | None:
    """The content of a math span that opens `rest` (after spaces and quotes), or None."""
    rest = rest.lstrip(" \t\"'`")
    if not rest.startswith(("$", "\\(", "\\[")):
        return None
    spans = math_spans(rest[:_MAX_SPAN_CHARS])
    if not spans or spans[0][0] != 0:
        return None
    return _span_content(spans[0]) or None


def _conclusion_number(tail: str) -> str | None:
    """The number of a closing sentence such as "Therefore, there are 12 sequences." written
    after the last math span (rule 5), or None."""
    tail = _SIGN_OFF_RE.sub("", tail.split("<|", 1)[0]).strip()  # "I hope it is correct."
    sentences = [x for x in re.split(r"(?<=[.!?])\s+|\n", tail) if x.strip()]
    if not sentences or not _CONCLUSION_RE.match(sentences[-1]):
        return None
    numbers = _numbers(sentences[-1])
    return numbers[0] if len(numbers) == 1 else None


def _clause_answer(text: str, marker: re.Match[str]) -> str | None:
    """The answer stated after a "final answer" marker (rule 4)."""
    rest = text[marker.end() :]
    span = _leading_span(rest)
    if span is not None:
        return span
    end = _SENTENCE_END_RE.search(rest.lstrip())
    clause = rest.lstrip()[: end.start()] if end else rest.strip()
    # After "Final Answer:" comes a sentence ("The largest $n$ is 34"); after "answer is" the
    # answer itself ("5 since 5 is prime").
    is_split = re.split(r"\s(?:is|are|was|equals)\s", clause)
    if marker.group().rstrip().endswith((":", "=")) and len(is_split) > 1:
        clause = is_split[-1]
        if (span := _leading_span(clause)) is not None:
            return span
    answer = _strip_sentence(clause)
    if _words(answer) >= 2:
        numbers = _numbers(answer)
        if numbers:
            return numbers[-1]  # "Jane started growing Sphere 3 hours ago"
    return answer or None


def _words(text: str, min_letters: int = 3) -> int:
    """How many words of `min_letters`+ letters `text` has outside commands and ``\\text{}``."""
    plain = _COMMAND_RE.sub(" ", re.sub(r"\\text\w*\{[^{}]*\}", " ", text))
    return len(re.findall(rf"[A-Za-z]{{{min_letters},}}", plain))


def looks_like_solution(text: str) -> bool:
    """Whether a gold answer is a worked solution (to extract from) rather than an answer."""
    if _boxes(text) or _MARKER_RE.search(text):
        return True
    # A long text with sentences; a short descriptive gold (`$f(x)=ax+b$, where $b$ is ...`)
    # is an answer as written.
    if len(text) < _SOLUTION_MIN_CHARS:
        return False
    pieces, last = [], 0
    for start, end, _ in math_spans(text):
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return _words(" ".join(pieces)) >= 8


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
    answer = answer.strip()
    if re.fullmatch(r"-?\d+(?:\.\d+)?\.", answer):
        answer = answer[:-1]  # "42." at the end of the sentence
    return answer
