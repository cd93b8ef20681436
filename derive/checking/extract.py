"""Find the math in a Markdown or LaTeX document: inline and displayed fragments, and headings.

Markdown: ``$...$`` and ``\\(...\\)`` are inline; ``$$...$$``, ``\\[...\\]`` and display
environments (``equation``, ``align``, ``gather``, ... with or without ``*``) are displayed.
Fenced and inline code is skipped. A heading (``#``) or a line that is entirely bold starts a new
section. LaTeX: the same delimiters; ``%`` comments and verbatim environments are skipped, and
``\\section`` (and its relatives) starts a new section. Every fragment keeps the offset of its
content in the file, so that each step can be reported at its line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

DISPLAY_ENVIRONMENTS = frozenset(
    "equation align gather multline flalign alignat eqnarray displaymath math dmath".split()
)
VERBATIM_ENVIRONMENTS = frozenset("verbatim lstlisting minted comment Verbatim".split())
SECTION_COMMANDS = ("\\part", "\\chapter", "\\section", "\\subsection", "\\subsubsection")
_BEGIN = re.compile(r"\\begin\{([A-Za-z]+)(\*?)\}")
_HEADING = re.compile(r"^ {0,3}(#{1,6}\s|\*\*[^*].*\*\*\s*$|__[^_].*__\s*$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BLANK_LINE = re.compile(r"\n[ \t]*(\n|$)")


@dataclass(frozen=True)
class Fragment:
    """A piece of math: its content, where the content starts in the file, and its kind.

    ``block`` numbers displayed fragments from 1 in reading order; it is 0 for inline math.
    """

    text: str
    offset: int
    block: int


@dataclass(frozen=True)
class SectionBreak:
    """A heading: definitions made before it may be replaced after it."""

    offset: int


Item = Fragment | SectionBreak


class LineIndex:
    """Offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        """The line of a file offset."""
        return bisect.bisect_right(self.starts, offset)


def is_latex(text: str, source: str = "") -> bool:
    """Whether a document is LaTeX (by its file name, else by its content)."""
    if source.endswith((".tex", ".ltx", ".latex")):
        return True
    if source.endswith((".md", ".markdown", ".txt")):
        return False
    return any(marker in text for marker in ("\\documentclass", "\\begin{document}", "\\section{"))


def extract(text: str, latex: bool) -> list[Item]:
    """The math fragments and section breaks of a document, in reading order."""
    scanner = _Scanner(text, latex)
    scanner.run()
    return scanner.items


class _Scanner:
    def __init__(self, text: str, latex: bool) -> None:
        self.text = text
        self.latex = latex
        self.items: list[Item] = []
        self.blocks = 0
        self.skipped = _code_ranges(text) if not latex else []
        self.headings = set(_heading_offsets(text, latex))
        self.missing: set[str] = set()  # closing delimiters known not to occur further on
        self.next_skip = len(text)  # where the next code span starts: inline math stops there

    def add(self, start: int, end: int, display: bool) -> None:
        if display:
            self.blocks += 1
        self.items.append(Fragment(self.text[start:end], start, self.blocks if display else 0))

    def run(self) -> None:
        text, n, i = self.text, len(self.text), 0
        ranges = iter(self.skipped)
        skip = next(ranges, None)
        while i < n:
            if skip is not None and i >= skip[0]:
                i = max(i, skip[1])
                skip = next(ranges, None)
                continue
            self.next_skip = skip[0] if skip is not None else n
            if i in self.headings:
                self.items.append(SectionBreak(i))
            c = text[i]
            if c == "%" and self.latex:
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif c == "\\":
                i = self.backslash(i)
            elif c == "$":
                i = self.dollar(i)
            else:
                i += 1

    def backslash(self, i: int) -> int:
        text = self.text
        for opening, closing, display in (("\\[", "\\]", True), ("\\(", "\\)", False)):
            if text.startswith(opening, i):
                return self.until(i + 2, closing, display)
        match = _BEGIN.match(text, i)
        if match:
            name = match.group(1)
            closing = f"\\end{{{name}{match.group(2)}}}"
            if name in DISPLAY_ENVIRONMENTS:
                return self.until(match.end(), closing, True)
            if name in VERBATIM_ENVIRONMENTS:
                end = text.find(closing, match.end())
                return len(text) if end < 0 else end + len(closing)
            return match.end()
        return i + 2

    def dollar(self, i: int) -> int:
        text = self.text
        if text.startswith("$$", i):
            return self.until(i + 2, "$$", True)
        start = i + 1
        if start >= len(text) or text[start].isspace():
            return start
        j = start
        while j < self.next_skip:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "\n" and _BLANK_LINE.match(text, j):
                return start  # a blank line ends the paragraph: no closing $
            if c == "$":
                if not text[j - 1].isspace() and not text[j + 1 : j + 2].isdigit():
                    self.add(start, j, False)
                    return j + 1
                return start
            j += 1
        return start

    def until(self, start: int, closing: str, display: bool) -> int:
        end = -1 if closing in self.missing else self.text.find(closing, start)
        if end < 0:
            self.missing.add(closing)
            return start
        self.add(start, end, display)
        return end + len(closing)


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks and inline code spans in Markdown, in order."""
    ranges: list[tuple[int, int]] = []
    fence_start = fence = None
    offset = 0
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            fence, fence_start = match.group(1)[0] * 3, offset
        elif fence is not None and line.lstrip().startswith(fence):
            ranges.append((fence_start, offset + len(line)))
            fence = None
        elif fence is None:
            for span in re.finditer(r"(`+)[^`\n]*?\1", line):
                ranges.append((offset + span.start(), offset + span.end()))
        offset += len(line)
    if fence is not None:
        ranges.append((fence_start, len(text)))
    return ranges


def _heading_offsets(text: str, latex: bool) -> list[int]:
    if latex:
        return [m.start() for m in re.finditer(r"\\(part|chapter|(sub){0,2}section)\*?\{", text)]
    offsets, offset = [], 0
    for line in text.splitlines(keepends=True):
        if _HEADING.match(line):
            offsets.append(offset)
        offset += len(line)
    return offsets
