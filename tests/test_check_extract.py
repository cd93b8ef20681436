"""Finding math in Markdown and LaTeX, and cutting it into chains of equalities."""

from __future__ import annotations

from derive.checking.chains import chains
from derive.checking.extract import Fragment, LineIndex, SectionBreak, extract, is_latex


def fragments(text: str, latex: bool = False) -> list[tuple[str, int]]:
    return [(f.text.strip(), f.block) for f in extract(text, latex) if isinstance(f, Fragment)]


def cut(text: str) -> list[list[str]]:
    found, _ = chains(text, 0, text)
    return [[p.source for p in c.pieces] for c in found]


def test_markdown_inline_and_display_math() -> None:
    text = "Let $y = 1$ and $$a = b$$ then\n$$\nc = d\n$$\nand \\[e = f\\] and \\(g\\)."
    assert fragments(text) == [("y = 1", 0), ("a = b", 1), ("c = d", 2), ("e = f", 3), ("g", 0)]


def test_code_and_prices_are_not_math() -> None:
    text = "```\n$$x = 1$$\n```\nIt costs $5 and `$y$` is code, $ not math $.\n$$z = 2$$"
    assert fragments(text) == [("z = 2", 1)]


def test_latex_environments_comments_and_sections() -> None:
    text = (
        "\\section{A}\n% $$x = 1$$\n\\begin{align*}\na &= b \\\\\n&= c\n\\end{align*}\n"
        "\\begin{verbatim}$$q = 1$$\\end{verbatim}\n\\begin{equation}d = e\\end{equation}"
    )
    items = extract(text, latex=True)
    assert isinstance(items[0], SectionBreak)
    assert [(f.text.strip(), f.block) for f in items[1:]] == [
        ("a &= b \\\\\n&= c", 1),
        ("d = e", 2),
    ]
    assert is_latex(text) and is_latex("", "x.tex") and not is_latex("\\section{}", "x.md")


def test_markdown_headings_and_bold_lines_are_sections() -> None:
    text = "# Title\ntext\n**2. Question**\n### Sub\n"
    assert [type(i).__name__ for i in extract(text, False)] == ["SectionBreak"] * 3


def test_line_numbers() -> None:
    lines = LineIndex("a\nbb\n\nc")
    assert [lines.line(o) for o in (0, 1, 2, 4, 6)] == [1, 1, 2, 2, 4]


def test_one_line_chain_and_rows() -> None:
    assert cut(r"A &= B \\ &= C \\ &= D") == [["A", "B", "C", "D"]]
    assert cut("A = B = C") == [["A", "B", "C"]]
    assert cut(r"a &= b \\ c &= d") == [["a", "b"], ["c", "d"]]
    assert cut(r"A &= B \\ &\quad + C \\ &= D") == [["A", r"B \\ &\quad + C", "D"]]


def test_implication_ends_the_chain() -> None:
    assert cut(r"A &= B \\ &= C \Rightarrow y(1-y)") == [["A", "B", "C"]]
    assert cut(r"A = B \Rightarrow C = D") == [["A", "B"], ["C", "D"]]


def test_update_arrow_and_prose_labels() -> None:
    text = (
        r"\text{Because: } J &= \frac{1}{N} L \\ \text{thus: } w &\leftarrow w - a \\"
        r" &= w - b"
    )
    assert cut(text) == [["J", r"\frac{1}{N} L"], ["w - a", "w - b"]]


def test_prose_after_a_formula_and_wide_spaces() -> None:
    assert cut(r"A = B \quad \text{by the rule} \\ C = D") == [["A", "B"], ["C", "D"]]
    assert cut(r"A = B \qquad C = D,") == [["A", "B"], ["C", "D"]]


def test_aligned_wrapper_and_cases_kept_whole() -> None:
    assert cut(r"\begin{aligned} A &= B \\ &= C \end{aligned}") == [["A", "B", "C"]]
    found = cut(r"f = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}")
    assert found == [["f", r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}"]]


def test_a_bracket_never_closed_hides_no_relation():
    import derive

    (step,) = derive.check("$$ a[31m + b = b + a $$").steps
    assert step.verdict == "unknown" and "without its ]" in step.detail
    # a closed bracket still holds a condition, not a step: [y_i = k] x
    (step,) = derive.check("$$ f = [y_i = k] x $$").steps
    assert step.rhs == "[y_i = k] x"
