"""Estimate how wide a piece of display math will be, in em, without running TeX.

The layout uses this to decide whether an equation fits beside its note, must be broken
at its terms, or typeset smaller. The estimate reads the LaTeX our printer produces:
fractions take the wider of numerator and denominator, scripts are 70 % size, big
operators stack their limits. It errs on the wide side; it only has to be good enough
to keep lines off the margin.
"""

from __future__ import annotations

SCRIPT = 0.7
LETTER = 0.52
DIGIT = 0.5
BINARY = 1.2  # + - = with the spacing TeX puts around them
DELIMITER = 0.4
CELL_GAP = 1.0  # between the columns of cases (value, condition)

_COMMAND_WIDTHS = {
    "cdot": 0.8,
    "partial": 0.6,
    "quad": 1.0,
    "qquad": 2.0,
    ",": 0.17,
    ";": 0.28,
    ":": 0.22,
    "!": -0.17,
    " ": 0.33,
    "leftarrow": 1.6,
    "rightarrow": 1.6,
    "to": 1.6,
    "neq": BINARY,
    "leq": BINARY,
    "geq": BINARY,
    "approx": BINARY,
    "top": 0.7,
    "sum": 1.45,
    "prod": 1.45,
    "max": 1.6,
    "min": 1.5,
    "log": 1.3,
    "exp": 1.4,
    "ldots": 1.2,
    "cdots": 1.2,
}
_BIG_OPERATORS = frozenset({"sum", "prod"})
_ZERO = frozenset({"left", "right", "displaystyle", "textstyle", "limits", "nolimits", "\\"})
_ONE_GROUP = frozenset(
    {
        "mathcal",
        "mathbf",
        "mathrm",
        "mathit",
        "mathsf",
        "boldsymbol",
        "mathbb",
        "bar",
        "hat",
        "tilde",
        "vec",
        "overline",
        "underline",
    }
)
_TEXT_GROUP = frozenset({"text", "textrm", "textbf", "textit", "operatorname", "mathrm"})
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac"})


class _Reader:
    """A cursor over a LaTeX string that measures it piece by piece."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.position = 0

    def peek(self) -> str:
        return self.source[self.position] if self.position < len(self.source) else ""

    def take(self) -> str:
        char = self.peek()
        self.position += 1
        return char

    def command(self) -> str:
        """The name after a backslash: letters, or one other character."""
        start = self.position
        while self.peek().isalpha():
            self.position += 1
        if self.position == start:
            self.position += 1
        return self.source[start : self.position]

    def group(self) -> float:
        """The width of the next argument: a {...} group or a single token."""
        while self.peek() == " ":
            self.position += 1
        if self.peek() == "{":
            self.position += 1
            return self.sequence(until="}")
        return self.atom()

    def raw_group(self) -> str:
        """The text of the next {...} group, unmeasured."""
        while self.peek() == " ":
            self.position += 1
        if self.peek() != "{":
            return self.take()
        depth, start = 0, self.position
        while self.position < len(self.source):
            char = self.take()
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                break
        return self.source[start + 1 : self.position - 1]

    def atom(self) -> float:
        """The width of one token (a character or a command with its arguments)."""
        char = self.take()
        if char == "\\":
            return self.measure_command(self.command())
        if char == "{":
            return self.sequence(until="}")
        if char in " &}":
            return 0.0
        if char in "+-=<>":
            return BINARY
        if char in "()[]|":
            return DELIMITER
        if char == ",":
            return 0.45
        if char == "'":
            return 0.3
        if char.isdigit():
            return DIGIT
        return LETTER

    def measure_command(self, name: str) -> float:
        if name in _FRACTIONS:
            return max(self.group(), self.group()) + 0.3
        if name in _ZERO:
            if name in ("left", "right"):
                self.atom()
                return DELIMITER
            return 0.0
        if name == "begin":
            return self.environment(self.raw_group())
        if name == "boxed":
            return self.group() + 0.8
        if name in _TEXT_GROUP:
            return LETTER * len(self.raw_group())
        if name in _ONE_GROUP:
            return self.group()
        if name in _BIG_OPERATORS:
            return self.limits(_COMMAND_WIDTHS[name])
        return _COMMAND_WIDTHS.get(name, 0.7)

    def environment(self, name: str) -> float:
        """An environment (``cases``, ``aligned``) as wide as its widest row, plus its brace."""
        end = rf"\end{{{name}}}"
        depth, position = 0, self.position
        while position < len(self.source):
            if self.source.startswith(rf"\begin{{{name}}}", position):
                depth += 1
            elif self.source.startswith(end, position):
                if depth == 0:
                    break
                depth -= 1
            position += 1
        body, self.position = self.source[self.position : position], position + len(end)
        rows = [_top_level_split(row, "&") for row in _top_level_split(body, r"\\")]
        widest = max(sum(map(width_em, cells)) + CELL_GAP * (len(cells) - 1) for cells in rows)
        return widest + (DELIMITER + 0.3 if name == "cases" else 0.0)

    def limits(self, body: float) -> float:
        """A big operator with its limits stacked above and below it."""
        widest = body
        while self.peek() in ("_", "^"):
            self.position += 1
            widest = max(widest, SCRIPT * self.group())
        return widest + 0.2

    def sequence(self, until: str = "") -> float:
        """The width of everything up to the closing ``until`` (or the end)."""
        total = 0.0
        last_script = 0.0
        while self.position < len(self.source):
            if until and self.peek() == until:
                self.position += 1
                break
            if self.peek() in ("_", "^"):
                self.position += 1
                script = SCRIPT * self.group()
                total += max(0.0, script - last_script) if last_script else script
                last_script = script
                continue
            last_script = 0.0
            total += self.atom()
        return total


def _top_level_split(tex: str, separator: str) -> list[str]:
    """tex cut at each separator outside braces and nested environments."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        if tex[i] == "\\" and tex[i + 1 : i + 2] in ("{", "}"):  # \{ and \} are not groups
            i += 2
            continue
        if tex.startswith(r"\begin{", i) or tex[i] == "{":
            depth += 1
        elif tex.startswith(r"\end{", i) or tex[i] == "}":
            depth -= 1
        if depth == 0 and tex.startswith(separator, i):
            pieces.append(tex[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    pieces.append(tex[start:])
    return pieces


def width_em(tex: str) -> float:
    """Estimated width of display math ``tex`` in em of the surrounding font."""
    return _Reader(tex).sequence()
