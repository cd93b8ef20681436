"""Compile LaTeX to PDF safely: latexmk + pdflatex, locked down, in a scratch directory.

The compiler never gets shell escape, may only read and write files below its build
directory (``openin_any=p``/``openout_any=p``), and never runs lualatex. Files reach their
destination by ``os.replace`` from a temporary file beside it, so a reader sees either the
old file or the complete new one; a failed build leaves whatever was there untouched and
raises :class:`~derive.errors.BuildError` with the lines of the log that explain it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from derive.errors import BuildError

TEX_MISSING = (
    "TeX is not installed: run `make report`, which installs it, or `apt-get install "
    "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures "
    "texlive-science latexmk lmodern poppler-utils`"
)
TIMEOUT_SECONDS = 300
CONTEXT_LINES = 4
JOB = "report"

_ERROR_LINE = re.compile(r"^(! |.*:\d+: )")


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write data to path through a temporary file in the same directory and os.replace."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def tex_available() -> bool:
    """True when latexmk and pdflatex are on PATH."""
    return all(shutil.which(tool) for tool in ("latexmk", "pdflatex"))


def locked_environment() -> dict[str, str]:
    """The environment for TeX: no reading or writing outside the build directory, no shell."""
    env = dict(os.environ)
    env.update(openin_any="p", openout_any="p", shell_escape="f")
    env.pop("TEXMFOUTPUT", None)
    return env


def latexmk_command(source: str) -> list[str]:
    """latexmk forced to pdflatex, no rc files, no shell escape, stopping at the first error."""
    return [
        "latexmk",
        "-norc",
        "-pdf",
        "-pdflatex=pdflatex %O %S",
        "-no-shell-escape",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        "-quiet",
        source,
    ]


def log_excerpt(log: str, context: int = CONTEXT_LINES) -> str:
    """The first error of a TeX log (``! ...`` or ``file:line: ...``) with the lines after it."""
    lines = log.splitlines()
    for position, line in enumerate(lines):
        if _ERROR_LINE.match(line):
            return "\n".join(lines[position : position + 1 + context]).rstrip()
    return "\n".join(lines[-context * 2 :]).rstrip()


def compile_pdf(source: str, output: Path, files: Mapping[str, bytes] | None = None) -> Path:
    """Write ``source`` to output's .tex, compile it to ``output`` (a .pdf), and return it.

    ``files`` are extra inputs (figures) placed beside the source in the build directory.
    The .tex is written first, so it is there even when TeX is missing or fails.
    """
    output = Path(output)
    write_atomically(output.with_suffix(".tex"), source)
    if not tex_available():
        raise BuildError(TEX_MISSING)
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as scratch:
        build = Path(scratch)
        (build / f"{JOB}.tex").write_text(source, encoding="utf-8")
        for name, data in (files or {}).items():
            (build / Path(name).name).write_bytes(data)
        try:
            finished = subprocess.run(
                latexmk_command(f"{JOB}.tex"),
                cwd=build,
                env=locked_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as error:
            raise BuildError(f"LaTeX did not finish within {TIMEOUT_SECONDS} s") from error
        log_path = build / f"{JOB}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = build / f"{JOB}.pdf"
        if finished.returncode != 0 or not pdf.exists():
            excerpt = log_excerpt(log) if log else (finished.stdout + finished.stderr).strip()
            write_atomically(output.with_suffix(".log"), log)
            raise BuildError(
                f"LaTeX failed building {output.name} (full log: {output.with_suffix('.log')}):\n"
                f"{excerpt}"
            )
        write_atomically(output.with_suffix(".log"), log)
        write_atomically(output, pdf.read_bytes())
    return output
