"""The grader's rule book: one row per rule, each row saying why it is there.

A row is (response, gold, expected verdict, why). `B(x)` wraps an answer in a sentence with a
``\\boxed{}``, as a model would write it. Rows marked "peers" are cases popular graders get wrong.
"""

from __future__ import annotations

import pytest

from agentrl.grading import grade


def B(answer: str) -> str:
    return f"Working through it step by step, we get $\\boxed{{{answer}}}$."


C, W, U, T = "correct", "wrong", "unparseable", "timeout"

CASES: list[tuple[str, object, str, str]] = [
    # --- extraction ---------------------------------------------------------------------------
    (B("42"), "42", C, "the boxed answer is the prediction"),
    (r"first \boxed{3} then \boxed{4}", "4", C, "the LAST box counts"),
    (r"first \boxed{3} then \boxed{4}", "3", W, "an earlier box is a draft, not the answer"),
    (r"\boxed{\frac{1}{\sqrt{2}}}", r"\frac{\sqrt2}{2}", C, "nested braces inside the box"),
    (r"so \boxed 5.", "5", C, "`\\boxed 5` without braces takes the next token"),
    (r"\fbox{7}", "7", C, "`\\fbox` is a box too"),
    (r"\boxed{\{1,2\}}", r"\{1,2\}", C, "escaped braces in a box are a set, not a group end"),
    ("The answer is 17.", "17", C, "fallback: 'the answer is X'"),
    ("Final answer: 12", "12", C, "fallback: 'Final answer: X'"),
    ("so the final answer is $\\frac{3}{4}$ since", "0.75", C, "fallback keeps $...$ math"),
    ("We add 3 and 4 to get 7", "7", C, "fallback: the last number in the text"),
    ("Natalia sold 48+24 = 72 clips.\n#### 72", "72", C, "GSM8K `#### N` lines"),
    ("I have no idea.", "5", U, "no answer at all is unparseable, not wrong"),
    ("", "5", U, "an empty response is unparseable"),
    (r"\boxed{}", "5", U, "an empty box is no answer"),
    (r"\boxed{12", "12", C, "a cut-off box falls back to the last number"),
    (r"The answer is \boxed{-3}", "-3", C, "negative numbers"),
    # --- integers and formatting --------------------------------------------------------------
    (B("025"), "25", C, "AIME-style leading zeros are the same integer"),
    (B("1,000"), "1000", C, "thousands separators in a lone number"),
    (B("1{,}000"), "1000", C, "LaTeX's `{,}` thousands separator"),
    (B(r"1\,000"), "1000", C, "thin-space thousands separator"),
    (B("1,000,000"), "1000000", C, "several thousands groups"),
    (B("(1,000)"), "1000", W, "decided: inside brackets a comma separates items: (1, 0)"),
    (B("(1,000)"), "(1,0)", C, "... so `(1,000)` is the pair (1, 0)"),
    (B("1,5"), "15", W, "`1,5` is not a thousands group: it is a list of two numbers"),
    (B("42."), "42", C, "trailing period"),
    (B("42,"), "42", C, "trailing comma"),
    (B(" 42 "), "42", C, "surrounding spaces"),
    (B("+7"), "7", C, "an explicit plus sign"),
    (B("-0"), "0", C, "minus zero is zero"),
    (B("41"), "42", W, "different integers"),
    (B("4 2"), "42", C, "spaces inside math are not separators"),
    (B("10^{3}"), "1000", C, "powers of ten"),
    # --- fractions and exact values -----------------------------------------------------------
    (B(r"\frac{1}{2}"), "1/2", C, "LaTeX fraction vs slash fraction"),
    (B(r"\dfrac{1}{2}"), r"\frac12", C, "`\\dfrac` and unbraced `\\frac12`"),
    (B(r"\tfrac{3}{4}"), r"\frac{3}{4}", C, "`\\tfrac`"),
    (B(r"\frac{2}{4}"), r"\frac{1}{2}", C, "policy: unreduced fractions equal by value"),
    (B("2/4"), "1/2", C, "policy: `2/4` equals `1/2` (values are graded, not forms)"),
    (B(r"-\frac{1}{2}"), r"\frac{-1}{2}", C, "sign in front or in the numerator"),
    (B(r"\frac{-1}{2}"), r"-\frac{1}{2}", C, "the same, reversed"),
    (B(r"\frac{1}{3}"), r"\frac{2}{3}", W, "different fractions"),
    (B(r"2\frac{1}{2}"), r"\frac{5}{2}", C, "a mixed number (school convention), not 2 * 1/2"),
    (B(r"\frac{1}{2004!}"), r"\frac{1}{2006!}", W, "peers: huge factorials compared exactly"),
    (B(r"\frac{1}{2006!}"), r"\frac{1}{2006!}", C, "identical factorials"),
    (B(r"\frac{2005 \cdot 2006}{2006!}"), r"\frac{1}{2004!}", C, "factorial identity, exactly"),
    (B("5!"), "120", C, "factorial of a small number"),
    (B(r"\frac{14}{3}"), r"\frac{14}{3}", C, "MATH-500 style fraction"),
    (B(r"\frac{7}{3}"), "2.333333333", C, "a decimal with enough digits approximates 7/3"),
    (B(r"\frac{7}{3}"), "2.33", W, "policy: 2.33 is off by more than REL_TOL=1e-6"),
    # --- decimals and tolerance ---------------------------------------------------------------
    (B("0.5"), r"\frac12", C, "peers: decimal vs fraction of the same value"),
    (B(".5"), "0.5", C, "leading dot"),
    (B("0.50"), "0.5", C, "trailing zeros"),
    (B("9.6"), "9.6\n", C, "gold with a trailing newline (Minerva)"),
    (B("3.14"), r"\pi", W, "peers: 3.14 is not pi (relative error 5e-4 > 1e-6)"),
    (B("3.14159265"), r"\pi", C, "a decimal within 1e-6 of pi"),
    (B("1.41421356"), r"\sqrt{2}", C, "a decimal within 1e-6 of sqrt 2"),
    (B("0.333"), r"\frac{1}{3}", W, "0.333 is not 1/3 under a 1e-6 relative tolerance"),
    (B("2.0"), "2", C, "2.0 equals 2"),
    (B("6630.65"), ["6630.65\n", "6630\n"], C, "Minerva: any listed alternative counts"),
    (B("6630"), ["6630.65\n", "6630\n"], C, "Minerva: the second alternative"),
    (B("6631"), ["6630.65\n", "6630\n"], W, "none of the alternatives"),
    (B("4.4e7"), r"4.4 \times 10^7", C, "e-notation vs \\times 10^k"),
    (B(r"7.5 \times 10^{7}"), "75000000", C, "scientific notation vs integer"),
    (B(r"1 \times 10^{-3}"), "10^{-3}", C, "Minerva alternative with and without mantissa"),
    (B(r"1.45 \times 10^{-5}"), r"1.45 \times 10^{-5}", C, "negative exponent"),
    (B(r"1.46 \times 10^{-5}"), r"1.45 \times 10^{-5}", W, "mantissa off by 0.7%"),
    (B("0.1"), "0.10", C, "significant zeros do not change the value"),
    (B("0.100001"), "0.1", W, "relative error 1e-5 is outside REL_TOL=1e-6"),
    (B("0.10000001"), "0.1", C, "relative error 1e-7 is within tolerance"),
    (B("142.0"), 142.0, C, "AMC gold answers are JSON floats"),
    (B("142"), 142.0, C, "an integer vs a float gold of the same value"),
    # --- units, percent, degrees, money -------------------------------------------------------
    (B(r"90^\circ"), "90", C, "peers: degree mark dropped"),
    (B(r"90^{\circ}"), r"90^\circ", C, "braced degree mark"),
    (B("90°"), "90", C, "unicode degree sign"),
    (B(r"\$5"), "5", C, "peers: dollar sign dropped"),
    (B(r"\$5.00"), "5", C, "cents written out"),
    (B(r"5\text{ dollars}"), "5", C, "unit word in \\text"),
    (B("5 dollars"), r"\$5", C, "unit word vs sign"),
    (B(r"12\text{ cm}^2"), "12", C, "area units with an exponent"),
    (B(r"12 \mbox{cm}"), "12", C, "\\mbox and units"),
    (B("3 square feet"), "3", C, "multi-word units"),
    (B("5 m"), "5", C, "a one-letter unit after a space"),
    (B("2m"), "2", W, "`2m` is a product, not 2 metres"),
    (B("40 mph"), "40", C, "speed unit"),
    (B(r"50\%"), "50", C, "percent sign dropped"),
    (B("50%"), "50", C, "unescaped percent sign"),
    (B("50 percent"), "50", C, "percent as a word"),
    (B(r"50\%"), "0.5", W, "policy: the percent sign is dropped, not turned into /100"),
    (B("7 days"), "7", C, "a time unit after a number"),
    (B(r"\text{Monday}"), "Monday", C, "peers: weekday names survive unit stripping"),
    (B("Monday"), "monday", C, "text answers compare case-insensitively"),
    (B("Tuesday"), "Monday", W, "peers: different weekdays are different"),
    (B("Monday"), "day", W, "`Monday` is not the unit `day` with a prefix"),
    (B("abcd"), "dcba", C, "letters that are anagrams are the same product"),
    (B(r"\text{(C)}"), "C", C, "multiple choice with parentheses"),
    (B(r"\textbf{(B)}"), "(B)", C, "bold choice letter"),
    (B("(A)"), "B", W, "different choice letters"),
    (B(r"0.003''"), r"0.003^{\prime\prime}", C, "arc seconds: primes after a number are units"),
    # --- LaTeX noise --------------------------------------------------------------------------
    (B(r"\left( 3, \frac{\pi}{2} \right)"), r"(3,\frac{\pi}{2})", C, "\\left/\\right dropped"),
    (B(r"3\!\cdot\!4"), "12", C, "`\\!` spacing"),
    (B(r"\displaystyle\frac{1}{2}"), "0.5", C, "`\\displaystyle`"),
    (r"$\boxed{\$5}$", "5", C, "a box inside math with a dollar sign"),
    (B(r"\sqrt2"), r"\sqrt{2}", C, "unbraced sqrt argument"),
    (B(r"\sqrt{8}"), r"2\sqrt{2}", C, "peers: surds are simplified symbolically"),
    (B(r"\sqrt{8}"), r"3\sqrt{2}", W, "different surds"),
    (B(r"\sqrt[3]{27}"), "3", C, "cube root"),
    (B(r"\frac{\sqrt{3}}{3}"), r"\frac{1}{\sqrt{3}}", C, "rationalized denominator"),
    (B(r"\frac{9 \sqrt{3}}{20}"), r"$\frac{9 \sqrt{3}}{20}$", C, "OlympiadBench gold in $...$"),
    (B(r"2^{1009}"), r"$2^{1009}$", C, "a large but harmless power"),
    (B(r"2^{1009}"), r"2^{1008}", W, "large powers compared exactly"),
    (B(r"\pi r^2"), r"r^2\pi", C, "commuted product with a command"),
    (B(r"\text{New York}"), "new york", C, "multi-word text answers"),
    # --- expressions --------------------------------------------------------------------------
    (B("p - q"), "p-q", C, "MATH-500 expression, spacing differs"),
    (B("-q + p"), "p-q", C, "reordered terms"),
    (B("q - p"), "p-q", W, "opposite sign"),
    (B("2x+2"), "2(x+1)", C, "factored vs expanded"),
    (B("x^2-1"), "(x-1)(x+1)", C, "difference of squares"),
    (B("x^2+1"), "(x-1)(x+1)", W, "not the same polynomial"),
    (B(r"\sin^2 x+\cos^2 x"), "1", C, "a trigonometric identity"),
    (B(r"\frac{x}{2}"), "0.5x", C, "decimal coefficient vs fraction"),
    (B("e^{i\\pi}"), "-1", C, "e and i are the constants"),
    (B(r"\ln(e^2)"), "2", C, "natural log"),
    (B(r"\log_2 8"), "3", C, "log with a base"),
    (B(r"\binom{5}{2}"), "10", C, "binomial coefficient"),
    (B("|-3|"), "3", C, "absolute value bars"),
    (B(r"\lfloor 2.5 \rfloor"), "2", C, "floor"),
    (B(r"m n-\lfloor m / 2\rfloor"), r"mn-\lfloor\frac{m}{2}\rfloor", C, "symbolic floor"),
    (B(r"\frac{1}{2n+2}"), r"\frac{1}{2(n+1)}", C, "OlympiadBench expression"),
    (B(r"x_{1}+x_2"), "x_2+x_1", C, "subscripted symbols"),
    (B(r"\alpha+\beta"), r"\beta+\alpha", C, "Greek letters"),
    (B(r"\frac{1}{\sqrt{2}}c"), r"\frac{c}{\sqrt{2}}", C, "Minerva: same expression, two forms"),
    (B(r"\dot{x}_0"), r"\dot{x}_0", C, "accented symbols parse"),
    (B(r"100p^{\frac{1}{2}}"), r"100\sqrt{p}", C, "fractional exponent vs sqrt"),
    # --- tuples, intervals, sets --------------------------------------------------------------
    (B("(1,2)"), "(1, 2)", C, "tuple, spacing"),
    (B("(2,1)"), "(1,2)", W, "tuples are ordered"),
    (B(r"(\frac12, 3)"), "(0.5,3)", C, "tuple elements compared as values"),
    (B("(1,2,3)"), "(1,2)", W, "tuples of different lengths"),
    (B("(0,1]"), "[0,1]", W, "peers: open and closed endpoints differ"),
    (B("(0,1]"), "(0,1]", C, "half-open interval"),
    (B(r"(-\infty, 3)"), r"(-\infty,3)", C, "infinite endpoint"),
    (B(r"[2,\infty)"), r"[2, \infty)", C, "closed-open with infinity"),
    (B(r"(-\infty,0)\cup(1,\infty)"), r"(1,\infty)\cup(-\infty,0)", C, "unions are unordered"),
    (B(r"(-\infty,0]\cup(1,\infty)"), r"(-\infty,0)\cup(1,\infty)", W, "a union's brackets"),
    (B(r"x \in [0, 1]"), "[0,1]", C, "`x \\in` prefix"),
    (B(r"\{3,1,2\}"), r"\{1,2,3\}", C, "peers: sets are unordered"),
    (B(r"\{1,2\}"), r"\{1,2,3\}", W, "sets of different size"),
    (B("3, 1, 2"), "1, 2, 3", C, "a bare list of solutions is unordered"),
    (B("-2, 1"), "1,-2", C, "solutions in another order"),
    (B(r"1 \text{ and } 2"), "1, 2", C, "'and' joins a list"),
    (B(r"\{5\}"), "5", C, "a one-element set equals its element"),
    (B(r"1\pm\sqrt{2}"), r"1-\sqrt2, 1+\sqrt2", C, "`\\pm` is a set of two answers"),
    (B(r"x=\pm 3"), "3,-3", C, "labelled `\\pm`"),
    (B(r"1\pm\sqrt{2}"), r"1+\sqrt2", W, "`\\pm` gives two answers, the gold has one"),
    (B(r"x=1 \text{ or } x=2"), "1,2", C, "'or' joins labelled solutions"),
    (B("(1,2)"), "1,2", W, "an ordered pair is not a bare list"),
    (B("(1,1),(3,2)"), "(3,2),(1,1)", C, "list of tuples, unordered"),
    (B("(1,1),(2,3)"), "(3,2),(1,1)", W, "a tuple inside a list is still ordered"),
    (B(r"(3, \pi/2)"), r"\left( 3, \frac{\pi}{2} \right)", C, "tuple with symbolic element"),
    (
        B(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
        r"\begin{pmatrix}1\\2\end{pmatrix}",
        C,
        "column vector",
    ),
    (
        B(r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4.0 \end{pmatrix}",
        C,
        "matrices compare entry by entry",
    ),
    (
        B(r"\begin{pmatrix} 2 & 1 \\ 3 & 4 \end{pmatrix}"),
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        W,
        "matrix entries are ordered",
    ),
    (
        B(r"\begin{bmatrix} \frac12 \\ 1 \end{bmatrix}"),
        r"\begin{pmatrix} 0.5 \\ 1 \end{pmatrix}",
        C,
        "bmatrix vs pmatrix, values",
    ),
    # --- equations and inequalities -----------------------------------------------------------
    (B("x=3"), "3", C, "peers: `x =` label dropped"),
    (B("3"), "x = 3", C, "label on the gold side"),
    (B("x=4"), "3", W, "labelled wrong answer"),
    (B("f(x)=2x"), "2x", C, "a function label"),
    (B("y=2x+1"), "2x+1=y", C, "equations with sides swapped"),
    (B("y=2x+1"), "y-2x=1", C, "equations rearranged"),
    (B("2y=4x+2"), "y=2x+1", C, "an equation times a constant"),
    (B("y=2x+2"), "y=2x+1", W, "a different line"),
    (B("x<3"), "3>x", C, "inequalities oriented"),
    (B(r"x\le 3"), r"x \leq 3", C, "`\\le` vs `\\leq`"),
    (B(r"x\le 3"), "x<3", W, "strict vs non-strict"),
    (B("2x<6"), "x<3", C, "inequality scaled by a positive constant"),
    (B("-x<-3"), "x<3", W, "scaling by a negative flips the inequality"),
    (B(r"x \ge 3"), r"3 \le x", C, "`\\ge` oriented"),
    (B("0<x<1"), "0<x<1", C, "chained inequality"),
    (B(r"x \ne 2"), r"x \neq 2", C, "`\\ne` spelling"),
    (B("x=1, y=2"), "y=2, x=1", C, "a list of equations, unordered"),
    # --- multiple gold answers ------------------------------------------------------------------
    (B("5"), ["4", "5"], C, "any gold alternative"),
    (B(r"\frac{10}{13}"), [r"\arcsin{\frac{1}{1.3}}", "10/13"], C, "second alternative"),
    (B("1"), ["4", "5"], W, "no alternative matches"),
    # --- pathological inputs --------------------------------------------------------------------
    (B(r"10^{10^{10^{10}}}"), "5", T, "a power tower is screened out, reported as timeout"),
    (B("100000000!"), "5", T, "a giant factorial is screened out"),
    (B(r"2^{2^{10}}"), r"2^{1024}", C, "a small tower is evaluated"),
    (B(r"10^{10^{10^{10}}}"), r"10^{10^{10^{10}}}", C, "identical strings need no evaluation"),
]


@pytest.mark.parametrize(
    ("response", "gold", "expected", "why"), CASES, ids=[f"{i}" for i in range(len(CASES))]
)
def test_case(response, gold, expected, why):
    result = grade(response, gold, timeout=10.0)
    assert result.verdict == expected, f"{why}: {result}"


def test_table_is_large_and_documented():
    assert len(CASES) >= 150
    assert all(why.strip() for *_, why in CASES)
    assert {expected for _, _, expected, _ in CASES} == {C, W, U, T}
