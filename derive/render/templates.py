"""The Jinja2 environment for LaTeX templates, and the escaping of text placed in them.

Templates live in the repository's top-level ``templates/`` folder and use delimiters that
do not clash with LaTeX: ``\\VAR{expr}``, ``\\BLOCK{statement}`` and ``\\#{comment}``.
Nothing is escaped automatically, because most values are LaTeX made by
:mod:`derive.printing`; every piece of English or user text must go through the ``tex``
filter (or ``code`` for source text shown in typewriter type), which makes it print literally
and never run: ``\\input{/etc/passwd}`` comes out as those characters.
"""

from __future__ import annotations

import re
import traceback
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from derive.errors import BuildError
from derive.render.mathsafe import safe_math

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
"""``templates/`` beside the ``derive`` package: a source checkout or an editable install."""

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
    "\u2013": "--",
    "\u2014": "---",
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2026": r"\ldots{}",
    "\u00d7": r"\texttimes{}",
    "\u2212": "-",
    "\u00a0": "~",
}
_CODE_ESCAPES = {"-": "-{}", "'": r"\textquotesingle{}", "`": r"\textasciigrave{}"}
"""Typewriter text shows straight quotes, and -- stays two hyphens instead of a dash."""
_BREAK_AFTER = frozenset("=+-*/,;)]}|")


def _escape_char(char: str) -> str:
    """One character as LaTeX text that prints it literally."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    if " " <= char <= "~":
        return char
    if "\u00c0" <= char <= "\u017f" and char not in "\u00d7\u00f7":
        return char  # Latin-1 and Latin Extended-A letters: T1 fonts have them
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if not plain or plain == char:  # a control character decomposes to itself
        return "?"
    return "".join(_escape_char(c) for c in plain)


def tex_escape(value: object) -> str:
    """Text (English or a user's) as LaTeX that typesets it literally and executes nothing.

    Runs of white space, line breaks included, become one space: a blank line would end a
    paragraph in the middle of a heading.
    """
    return "".join(_escape_char(c) for c in " ".join(str(value).split()))


def code_escape(value: object) -> str:
    """Source text for \\texttt: escaped like ``tex``, on one line, breakable after operators."""
    text = " ".join(str(value).split())
    pieces = []
    for char in text:
        piece = _CODE_ESCAPES.get(char) or _escape_char(char)
        pieces.append(piece + (r"\allowbreak{}" if char in _BREAK_AFTER else ""))
    return "".join(pieces)


def _number(value: object, digits: int = 4) -> str:
    """A float for siunitx's \\num: 4 significant digits, exponent form when tiny or huge."""
    x = float(value)  # type: ignore[arg-type]
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{digits - 1}e}"


_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def prose_tex(value: object) -> str:
    """Prose that may hold inline math: each ``$...$`` is typeset when it is safe math (see
    :mod:`derive.render.mathsafe`), everything else, and any unsafe formula, escaped as text."""
    source = " ".join(str(value).split())
    out, last = [], 0
    for match in _INLINE_MATH.finditer(source):
        formula = safe_math(match[1].strip())
        if formula is None:
            continue
        out += [_escape_text(source[last : match.start()]), f"${formula}$"]
        last = match.end()
    out.append(_escape_text(source[last:]))
    return "".join(out)


def _escape_text(text: str) -> str:
    return "".join(_escape_char(c) for c in text)


def in_sentence(title: object) -> str:
    """A title inside a sentence: "Logistic regression" becomes "logistic regression", while a
    first word that is an acronym or holds a digit ("SVM loss", "L2-regularised") stays."""
    words = str(title)
    first = words.split(" ", 1)[0]
    if (
        len(first) > 1
        and first[0].isupper()
        and first[1:].islower()
        and first.replace("-", "").isalpha()
    ):
        return words[0].lower() + words[1:]
    return words


@cache
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment over ``templates/`` (strict: undefined names fail)."""
    if not TEMPLATE_DIR.is_dir():
        raise BuildError(
            f"report templates not found: expected the folder {TEMPLATE_DIR} next to the derive "
            "package (run derive from a source checkout, or install it with `pip install -e .`)"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix=None,
        line_comment_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["tex"] = tex_escape
    env.filters["code"] = code_escape
    env.filters["num"] = _number
    env.filters["sentence"] = in_sentence
    env.filters["prose"] = prose_tex
    return env


def _template_position(error: BaseException) -> tuple[str, int | None]:
    """The template file and line where a Jinja error happened, from its traceback."""
    name = getattr(error, "filename", None) or getattr(error, "name", None)
    line = getattr(error, "lineno", None)
    if name and line:
        return str(name), line
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve().is_relative_to(TEMPLATE_DIR):
            return frame.filename, frame.lineno
    return str(name or "?"), line


def render(name: str, **context: Any) -> str:
    """Render a template; any template error becomes a BuildError naming file and line."""
    try:
        return environment().get_template(name).render(**context)
    except jinja2.TemplateError as error:
        where, line = _template_position(error)
        try:
            where = str(Path(where).resolve().relative_to(TEMPLATE_DIR.parent))
        except ValueError:
            pass
        at = f"{where}:{line}" if line else where
        raise BuildError(f"template error at {at}: {error.message or error}") from error
