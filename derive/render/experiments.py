"""The experiment section's data for the template: the table, the figures and the numbers
its conclusions are written from (all formatted here, so the template only places them)."""

from __future__ import annotations

from typing import Any

from derive.experiments.findings import findings, table_rows

FIGURES = {
    "curves": "experiment-curves.pdf",
    "reliability": "experiment-reliability.pdf",
    "margins": "experiment-margins.pdf",
}
LOSS_TITLES = {"softmax": "softmax", "svm": "SVM"}
VARIANTS = {
    "ovr_squared_hinge": "one-versus-rest with the squared hinge",
    "ovr_hinge": "one-versus-rest with the hinge",
    "crammer_singer": "Crammer-Singer",
}


def _percent(x: float) -> str:
    return f"{100 * x:.1f}"


def _points(x: float) -> str:
    return f"{x:.1f}"


def experiment_view(data: dict) -> dict[str, Any]:
    """Everything templates/experiments.tex reads, as strings and small lists."""
    settings = data["settings"]
    found = findings(data)
    rows = []
    for row in table_rows(data):
        rows.append(
            {
                "dataset": row["title"],
                "size": f"{row['N']}, {row['D']}, {row['K']}",
                "loss": LOSS_TITLES[row["loss"]],
                "first": row["loss"] == "softmax",
                "accuracy": _percent(row["accuracy"]),
                "spread": _percent(row["accuracy_std"]),
                "lambdas": ", ".join(f"{x:g}" for x in row["lambdas"]),
                "iterations": f"{row['iterations']:.0f}",
                "converged": f"{row['converged']}/{row['splits']}",
                "satisfied": _percent(row["hinge_satisfied"]),
                "ece": f"{row['ece']:.3f}",
                "seconds": "" if row["seconds"] is None else f"{row['seconds']:.3f}",
            }
        )
    gaps = found["gaps"]
    svc = [
        {
            "dataset": s["dataset"],
            "ours": _percent(s["ours"]),
            "ovr_squared_hinge": _percent(s["ovr_squared_hinge"]),
            "ovr_hinge": _percent(s["ovr_hinge"]),
            "crammer_singer": _percent(s["crammer_singer"]),
        }
        for s in found["linear_svc"]
    ]
    return {
        "splits": settings["splits"],
        "test_percent": f"{100 * settings['test_size']:.0f}",
        "grid": ", ".join(f"{x:g}" for x in settings["grid"]),
        "folds": settings["folds"],
        "seed": settings["seed"],
        "datasets": found["datasets"],
        "rows": rows,
        "figures": FIGURES,
        "largest_gap": _points(found["largest_gap"]),
        "largest_gap_dataset": found["largest_gap_dataset"],
        "softmax_ahead": found["softmax_ahead"],
        "svm_ahead": found["svm_ahead"],
        "ties": found["datasets"] - found["softmax_ahead"] - found["svm_ahead"],
        "gaps": [{"dataset": g["dataset"], "points": f"{g['points']:+.1f}"} for g in gaps],
        "softmax_better_calibrated": found["softmax_better_calibrated"],
        "largest_ece_softmax": f"{found['largest_ece_softmax']:.3f}",
        "smallest_ece_svm": f"{found['smallest_ece_svm']:.3f}",
        "fewest_satisfied": _percent(found["fewest_satisfied"]),
        "most_satisfied": _percent(found["most_satisfied"]),
        "softmax_zero_loss": found["any_softmax_zero_loss"],
        "sklearn_objective": (
            None if found["sklearn_objective"] is None else f"{found['sklearn_objective']:.1e}"
        ),
        "sklearn_accuracy": (
            None if found["sklearn_accuracy"] is None else f"{found['sklearn_accuracy']:.2f}"
        ),
        "svc": svc,
        "svc_largest_gap": (
            None
            if found["svc_largest_gap"] is None
            else {
                "points": _points(found["svc_largest_gap"][0]),
                "variant": VARIANTS[found["svc_largest_gap"][1]],
                "dataset": found["svc_largest_gap"][2],
            }
        ),
        "within_spread": found["within_spread"],
        "formulation_matters": (
            found["svc_largest_gap"] is not None
            and found["svc_largest_gap"][0] > found["largest_gap"]
        ),
        "iterations": {
            loss: {"low": low, "high": high} for loss, (low, high) in found["iterations"].items()
        },
        "converged": {
            loss: {"count": count, "runs": runs}
            for loss, (count, runs) in found["converged"].items()
        },
        "median_margin": {
            loss: {"low": f"{low:.2f}", "high": f"{high:.2f}"}
            for loss, (low, high) in found["median_margin"].items()
        },
        "mostly_satisfied": found["fewest_satisfied"] > 0.5,
        "softmax_calibrated_everywhere": found["softmax_better_calibrated"] == found["datasets"],
        "total_seconds": f"{data.get('timings', {}).get('total_seconds', 0.0):.0f}",
    }


def experiment_figures(data: dict) -> dict[str, bytes]:
    """The three figure files of the section, by the names the template uses."""
    from derive.render import experiment_figures as draw

    return {
        FIGURES["curves"]: draw.training_curves(data),
        FIGURES["reliability"]: draw.reliability(data),
        FIGURES["margins"]: draw.margins(data),
    }
