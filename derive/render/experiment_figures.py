"""The experiment section's figures: training curves, reliability diagrams, training margins.

Each is one row of panels, a panel per data set, softmax and SVM in the colours of the
loss-versus-margin figure. Input is the plain data of :mod:`derive.experiments`.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np

from derive.render.figures import HINGE_COLOR, SOFTMAX_COLOR, STYLE, _quiet

LOSSES = (("softmax", SOFTMAX_COLOR, "softmax", "--"), ("svm", HINGE_COLOR, "SVM (hinge)", "-"))


def _panels(data: dict, draw: Callable, ylabel: str, height: float = 2.1) -> bytes:
    """A PDF with one panel per data set, each drawn by ``draw(axes, result)``."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    results = list(data["results"].values())
    with rc_context(STYLE):
        figure = Figure(figsize=(6.3, height), layout="constrained")
        axes_row = np.atleast_1d(figure.subplots(1, len(results)))
        for axes, result in zip(axes_row, results, strict=True):
            draw(axes, result)
            axes.set_title(result["title"])
        axes_row[0].set_ylabel(ylabel)
        figure.legend(
            *axes_row[0].get_legend_handles_labels(),
            loc="outside upper center",
            ncols=2,
            frameon=False,
        )
        buffer = io.BytesIO()
        with _quiet("fontTools"):
            figure.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": None})
    return buffer.getvalue()


def training_curves(data: dict) -> bytes:
    """J(W_t) - J(final) against the L-BFGS iteration t, first split, log scale."""

    def draw(axes, result):
        for loss, color, label, style in LOSSES:
            curve = np.asarray(result["losses"][loss]["splits"][0]["curve"])
            gap = curve - curve.min()
            steps = np.arange(len(curve))
            keep = gap > 0
            axes.semilogy(steps[keep], gap[keep], color=color, ls=style, lw=1, label=label)
        axes.set_xlabel("iteration")
        axes.set_xscale("symlog", linthresh=10)

    return _panels(data, draw, r"$J(W_t) - \min_t J(W_t)$")


def reliability(data: dict) -> bytes:
    """Accuracy against mean confidence in equal-width bins, test sets of all splits."""

    def draw(axes, result):
        axes.plot([0, 1], [0, 1], color="0.75", lw=0.6, zorder=0)
        for loss, color, label, style in LOSSES:
            bins = [b for b in result["losses"][loss]["summary"]["reliability"] if b["count"]]
            axes.plot(
                [b["confidence"] for b in bins],
                [b["accuracy"] for b in bins],
                color=color,
                ls=style,
                marker="o",
                ms=2.5,
                lw=1,
                label=label,
            )
        axes.set_xlim(0, 1.02)
        axes.set_ylim(0, 1.02)
        axes.set_xlabel("confidence")
        axes.set_aspect("equal")

    return _panels(data, draw, "accuracy", height=2.3)


def margins(data: dict) -> bytes:
    """Histograms of the training margins s_y - max_{j != y} s_j, first split."""

    def draw(axes, result):
        for loss, color, label, style in LOSSES:
            histogram = result["losses"][loss]["splits"][0]["train_margins"]
            edges, counts = np.asarray(histogram["edges"]), np.asarray(histogram["counts"])
            share = counts / counts.sum()
            axes.stairs(share, edges, color=color, ls=style, lw=1, label=label)
        for x in (0.0, 1.0):
            axes.axvline(x, color="0.75", lw=0.6, zorder=0)
        axes.set_xlabel(r"margin $s_y - \max_{j \neq y} s_j$")

    return _panels(data, draw, "share of examples")
