"""Vector figures for the report, drawn with matplotlib in the fonts of the text.

Only matplotlib's object API is used (a ``Figure`` saved straight to PDF), inside an
``rc_context``: no pyplot, no ``matplotlib.use``, no global state left behind.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

STYLE = {
    "font.family": "serif",
    "font.serif": ["cmr10", "Computer Modern Roman", "DejaVu Serif"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": True,
    "font.size": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 8,
    "pdf.fonttype": 42,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
HINGE_COLOR = "#1f5fa8"
SOFTMAX_COLOR = "#c0392b"


def hinge(m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Hinge loss max(0, 1 - m) of the margin and its derivative, -1[1 - m > 0]."""
    return np.maximum(0.0, 1.0 - m), -(1.0 - m > 0).astype(np.float64)


def softmax_cross_entropy(m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two-class softmax loss log(1 + e^{-m}) of the margin and its derivative -1/(1 + e^m)."""
    return np.logaddexp(0.0, -m), -np.exp(-np.logaddexp(0.0, m))


def _break_jumps(m: FloatArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Insert a gap where a step function jumps, so no vertical line is drawn."""
    jumps = np.flatnonzero(np.abs(np.diff(values)) > 0.5) + 1
    return np.insert(m, jumps, np.nan), np.insert(values, jumps, np.nan)


def loss_vs_margin(lowest: float = -3.0, highest: float = 4.0) -> bytes:
    """A PDF of both losses (left) and their derivatives (right) against the margin
    m = s_y - s_other of a two-class problem."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    m = np.linspace(lowest, highest, 1401)
    hinge_loss, hinge_grad = hinge(m)
    soft_loss, soft_grad = softmax_cross_entropy(m)
    with rc_context(STYLE):
        figure = Figure(figsize=(6.0, 2.3), layout="constrained")
        losses, grads = figure.subplots(1, 2)
        losses.plot(m, hinge_loss, color=HINGE_COLOR, label=r"hinge $\max(0, 1 - m)$")
        losses.plot(m, soft_loss, color=SOFTMAX_COLOR, ls="--", label=r"softmax $\log(1 + e^{-m})$")
        losses.set_title("loss")
        grads.plot(*_break_jumps(m, hinge_grad), color=HINGE_COLOR, label="hinge")
        grads.plot(m, soft_grad, color=SOFTMAX_COLOR, ls="--", label="softmax")
        grads.set_title(r"derivative with respect to $m$")
        for axes in (losses, grads):
            axes.set_xlabel(r"margin $m = s_y - s_j$")
            axes.axvline(0.0, color="0.8", lw=0.6, zorder=0)
            axes.axhline(0.0, color="0.8", lw=0.6, zorder=0)
            axes.set_xlim(lowest, highest)
        losses.legend(frameon=False)
        grads.set_ylim(-1.15, 0.15)
        buffer = io.BytesIO()
        with _quiet("fontTools"):
            figure.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": None})
    return buffer.getvalue()


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Silence a library's warnings for a moment (fontTools complains about cmr10's dates)."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
