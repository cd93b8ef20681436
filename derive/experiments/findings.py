"""Conclusions drawn from experiment results, as numbers: the report's sentences are filled
in from these, never typed."""

from __future__ import annotations

from typing import Any


def table_rows(data: dict) -> list[dict[str, Any]]:
    """One row per data set and loss: the figures of the accuracy table."""
    rows = []
    for name, result in data["results"].items():
        for loss, entry in result["losses"].items():
            summary = entry["summary"]
            seconds = data.get("timings", {}).get(name, {}).get(loss, {})
            rows.append(
                {
                    "dataset": name,
                    "title": result["title"],
                    "N": result["N"],
                    "D": result["D"],
                    "K": result["K"],
                    "loss": loss,
                    "accuracy": summary["accuracy"]["mean"],
                    "accuracy_std": summary["accuracy"]["std"],
                    "iterations": summary["iterations"]["mean"],
                    "lambdas": sorted({s["lambda"] for s in entry["splits"]}),
                    "hinge_satisfied": summary["hinge_satisfied"]["mean"],
                    "zero_softmax_loss": summary["zero_softmax_loss"]["mean"],
                    "ece": summary["ece"]["mean"],
                    "seconds": seconds.get("training_seconds", {}).get("mean"),
                    "converged": sum(s["converged"] for s in entry["splits"]),
                    "splits": len(entry["splits"]),
                }
            )
    return rows


def findings(data: dict) -> dict[str, Any]:
    """The numbers behind the section's conclusions."""
    results = data["results"]
    gaps, ece, satisfied, sklearn_objective, sklearn_accuracy, svc = [], [], [], [], [], []
    for result in results.values():
        soft = result["losses"]["softmax"]["summary"]
        svm = result["losses"]["svm"]["summary"]
        gaps.append(
            {
                "dataset": result["title"],
                "points": 100 * (soft["accuracy"]["mean"] - svm["accuracy"]["mean"]),
                "spread": 100 * (soft["accuracy"]["std"] + svm["accuracy"]["std"]),
            }
        )
        ece.append(
            {
                "dataset": result["title"],
                "softmax": soft["ece"]["mean"],
                "svm": svm["ece"]["mean"],
            }
        )
        satisfied.append(
            {
                "dataset": result["title"],
                "svm": svm["hinge_satisfied"]["mean"],
                "softmax_zero_loss": soft["zero_softmax_loss"]["mean"],
            }
        )
        if "sklearn_objective_relative_difference" in soft:
            sklearn_objective.append(soft["sklearn_objective_relative_difference"])
            sklearn_accuracy.append(
                100 * abs(soft["sklearn_accuracy"]["mean"] - soft["accuracy"]["mean"])
            )
        if "linear_svc" in svm:
            svc.append(
                {
                    "dataset": result["title"],
                    "ours": svm["accuracy"]["mean"],
                    **{key: value["mean"] for key, value in svm["linear_svc"].items()},
                }
            )
    largest = max(gaps, key=lambda g: abs(g["points"]))
    fits = {
        loss: [s for r in results.values() for s in r["losses"][loss]["splits"]]
        for loss in ("softmax", "svm")
    }
    svc_gaps = [
        (abs(100 * (row[key] - row["ours"])), key, row["dataset"])
        for row in svc
        for key in row
        if key not in ("dataset", "ours")
    ]
    return {
        "within_spread": sum(1 for g in gaps if abs(g["points"]) <= g["spread"]),
        "iterations": {
            loss: (min(s["iterations"] for s in runs), max(s["iterations"] for s in runs))
            for loss, runs in fits.items()
        },
        "converged": {
            loss: (sum(s["converged"] for s in runs), len(runs)) for loss, runs in fits.items()
        },
        "svc_largest_gap": max(svc_gaps) if svc_gaps else None,
        "median_margin": {
            loss: (min(s["median_margin"] for s in runs), max(s["median_margin"] for s in runs))
            for loss, runs in fits.items()
        },
        "datasets": len(results),
        "splits": data["settings"]["splits"],
        "gaps": gaps,
        "largest_gap": abs(largest["points"]),
        "largest_gap_dataset": largest["dataset"],
        "softmax_ahead": sum(1 for g in gaps if g["points"] > 0),
        "svm_ahead": sum(1 for g in gaps if g["points"] < 0),
        "ece": ece,
        "softmax_better_calibrated": sum(1 for e in ece if e["softmax"] < e["svm"]),
        "largest_ece_softmax": max(e["softmax"] for e in ece),
        "smallest_ece_svm": min(e["svm"] for e in ece),
        "satisfied": satisfied,
        "fewest_satisfied": min(s["svm"] for s in satisfied),
        "most_satisfied": max(s["svm"] for s in satisfied),
        "any_softmax_zero_loss": any(s["softmax_zero_loss"] > 0 for s in satisfied),
        "sklearn_objective": max(sklearn_objective) if sklearn_objective else None,
        "sklearn_accuracy": max(sklearn_accuracy) if sklearn_accuracy else None,
        "linear_svc": svc,
    }


def format_text(data: dict) -> str:
    """The results as a plain-text table and the main conclusions."""
    lines = [
        f"{'data set':14} {'loss':8} {'accuracy':>16} {'lambda':>14} {'iter':>6}"
        f" {'hinge ok':>9} {'ECE':>6} {'train s':>8}"
    ]
    for row in table_rows(data):
        lambdas = ",".join(f"{x:g}" for x in row["lambdas"])
        seconds = "" if row["seconds"] is None else f"{row['seconds']:.3f}"
        lines.append(
            f"{row['dataset']:14} {row['loss']:8} "
            f"{100 * row['accuracy']:7.2f} +- {100 * row['accuracy_std']:4.2f} %"
            f" {lambdas:>14} {row['iterations']:6.0f} {100 * row['hinge_satisfied']:8.1f}%"
            f" {row['ece']:6.3f} {seconds:>8}"
        )
    found = findings(data)
    lines.append("")
    lines.append(
        f"softmax and SVM test accuracy differ by at most {found['largest_gap']:.2f} points "
        f"({found['largest_gap_dataset']}) over {found['datasets']} data sets"
    )
    if found["sklearn_objective"] is not None:
        lines.append(
            "softmax objective vs scikit-learn LogisticRegression: largest relative "
            f"difference {found['sklearn_objective']:.1e}, test accuracy within "
            f"{found['sklearn_accuracy']:.2f} points"
        )
    return "\n".join(lines)
