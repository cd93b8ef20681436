"""Compile LaTeX to PDF safely: latexmk + pdflatex, locked down, in a scratch directory.

The compiler never gets shell escape, may only read and write files below its build
directory (``openin_any=p``/``openout_any=p``), and never runs lualatex. Files reach their
destination by ``os.replace`` from a temporary file beside it, so a reader sees either the
old file or the complete new one; a failed build leaves whatever was there untouched and
raises :class:`~derive.errors.BuildError` with the lines of the log that explain it. The
compiler runs in its own process group, killed whole when the build is interrupted (Ctrl-C,
SIGTERM, SIGHUP, a time-out), and the scratch directory is removed on the way out.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
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
    """Write data to path through a temporary file in the same directory and os.replace.

    A failure (a full disk, a directory in the way) is a BuildError naming the path.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary = None
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "a directory is in the way", str(path))
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise BuildError(f"cannot write {path}: {error.strerror or error}") from error
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
    try:
        with tempfile.TemporaryDirectory(prefix="derive-tex-") as scratch:
            build = Path(scratch)
            (build / f"{JOB}.tex").write_text(source, encoding="utf-8")
            for name, data in (files or {}).items():
                (build / Path(name).name).write_bytes(data)
            returncode, output_text = _run_latex(build)
            log_path = build / f"{JOB}.log"
            log = (
                log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
            )
            pdf = build / f"{JOB}.pdf"
            if returncode != 0 or not pdf.exists():
                excerpt = log_excerpt(log) if log else output_text.strip()
                write_atomically(output.with_suffix(".log"), log)
                raise BuildError(
                    f"LaTeX failed building {output.name} (full log: "
                    f"{output.with_suffix('.log')}):\n{excerpt}"
                )
            write_atomically(output.with_suffix(".log"), log)
            write_atomically(output, pdf.read_bytes())
    except OSError as error:  # the scratch directory: a full disk, a missing /tmp
        raise BuildError(f"cannot build {output.name}: {error.strerror or error}") from error
    return output


def _run_latex(build: Path) -> tuple[int, str]:
    """Run latexmk in ``build`` in a process group of its own: exit code and output.

    Whatever stops the wait (a time-out, Ctrl-C, SIGTERM raised as an exception) kills the
    whole group, so no pdflatex is left running.
    """
    process = subprocess.Popen(
        latexmk_command(f"{JOB}.tex"),
        cwd=build,
        env=locked_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        _kill_group(process)
        raise BuildError(f"LaTeX did not finish within {TIMEOUT_SECONDS} s") from error
    except BaseException:
        _kill_group(process)
        raise
    _kill_group(process)  # anything latexmk left behind
    return process.returncode, output


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:  # the group is gone: nothing left running
        pass
    process.wait()
