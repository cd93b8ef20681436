"""The `derive` command line: list, show, table, report, check, experiment.

Errors a user can cause (unknown name, bad option, unreadable file, LaTeX failure) become one
line on stderr and exit code 2 (1 for `check` when a step is refuted), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from derive.errors import DeriveError, InputError
from derive.limits import (
    DOCUMENT_SECONDS,
    MEMORY_BYTES,
    STEP_SECONDS,
    format_size,
    parse_size,
)
from derive.safe_text import printable


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line with exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        raise InputError(
            f"{message} (see `derive {self.prog.split()[-1]} --help`)"
            if " " in self.prog
            else f"{message} (see `derive --help`)"
        )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derive", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list the built-in derivations")
    show = sub.add_parser("show", help="print a derivation, every step with its verification")
    show.add_argument("name", nargs="?", help="a built-in derivation (see `derive list`)")
    show.add_argument(
        "--model", type=Path, metavar="FILE", help="a model file (Markdown or LaTeX) instead"
    )
    show.add_argument("--format", choices=("text", "latex", "json"), default="text")
    show.add_argument(
        "--no-cache", action="store_true", help="derive and verify again, ignoring the cache"
    )
    table = sub.add_parser("table", help="the SVM-versus-softmax table of the assignment")
    table.add_argument("--format", choices=("text", "json"), default="text")
    report = sub.add_parser("report", help="build the PDF report")
    report.add_argument("--output", type=Path, default=Path("reports/derivations.pdf"))
    report.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="only these built-in derivations (repeatable; default: all, the assignment's first)",
    )
    report.add_argument(
        "--model",
        action="append",
        type=Path,
        metavar="FILE",
        help="add the derivation of a model file (repeatable)",
    )
    report.add_argument("--title", help="the report's title")
    report.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        help="a hand-written derivation to check in the report",
    )
    check = sub.add_parser(
        "check",
        help="check hand-written derivations (Markdown or LaTeX)",
        description="Check every step of hand-written derivations. Each document is read and "
        "checked in worker processes whose CPU time and memory are limited; a step that runs "
        "out is unknown, with a reason naming the limit, and the rest is still checked. The "
        "limits are a safety net for hostile input: ordinary documents use a small fraction. "
        "Several files, or a folder (its .md and .tex files), are checked one per core.",
    )
    check.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="a file, or a folder of .md/.tex"
    )
    check.add_argument("--format", choices=("text", "json", "csv"), default="text")
    check.add_argument(
        "--time-limit",
        type=_seconds,
        default=STEP_SECONDS,
        metavar="SECONDS",
        help=f"CPU seconds one step may use (default {STEP_SECONDS:g})",
    )
    check.add_argument(
        "--document-time-limit",
        type=_seconds,
        default=DOCUMENT_SECONDS,
        metavar="SECONDS",
        help=f"CPU seconds the whole document may use, reading included "
        f"(default {DOCUMENT_SECONDS:g}); the steps left after it are not checked",
    )
    check.add_argument(
        "--memory-limit",
        type=_size,
        default=MEMORY_BYTES,
        metavar="SIZE",
        help=f"memory a worker process may add to the program's own, such as 512M or 2G "
        f"(default {format_size(MEMORY_BYTES).replace(' ', '')})",
    )
    experiment = sub.add_parser(
        "experiment", help="train softmax and SVM classifiers on real data and compare them"
    )
    experiment.add_argument("--datasets", nargs="+", metavar="NAME", help="default: all four")
    experiment.add_argument("--splits", type=int, default=5, help="train/test splits (>= 2)")
    experiment.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _list(args) -> int:
    from derive.models import CATALOGUE

    width = max(map(len, CATALOGUE))
    for name, title in CATALOGUE.items():
        print(f"{name:{width}}  {title}")
    return 0


def _show(args) -> int:
    from derive.api import rendered

    if (args.name is None) == (args.model is None):
        raise InputError(
            "give a built-in's name or --model FILE, not both (see `derive show --help`)"
            if args.name
            else "give a built-in's name (see `derive list`) or --model FILE"
        )
    if args.model is not None:
        from derive.model_file import load_model

        which = load_model(args.model)
    else:
        which = args.name
    print(rendered(which, args.format, use_cache=not args.no_cache))
    return 0


def _table(args) -> int:
    from derive.table import comparison_table, format_table_text

    rows = comparison_table()
    if args.format == "json":
        print(json.dumps({"rows": [r.to_dict() for r in rows]}, indent=2))
    else:
        print(format_table_text(rows))
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _report(args) -> int:
    from derive.render.report import build_report

    started = time.monotonic()
    models = []
    if args.model:
        from derive.model_file import load_model

        models = [load_model(path) for path in dict.fromkeys(args.model)]
    path = build_report(
        args.output,
        names=args.only,
        title=args.title,
        check_file=args.check,
        progress=_progress,
        models=models,
    )
    _progress(f"wrote {printable(str(path))} in {time.monotonic() - started:.1f} s")
    return 0


def _check(args) -> int:
    from derive.checking import Limits, check_file, format_text
    from derive.checking.batch import FileResult, check_files, documents
    from derive.checking.report import batch_dict, format_batch_text, write_csv

    limits = Limits(args.time_limit, args.document_time_limit, args.memory_limit)
    if len(args.files) == 1 and not args.files[0].is_dir():
        # one file: unreadable is bad input (exit 2), and the report is the single-file one
        report = check_file(args.files[0], limits=limits)
        results = [FileResult(report.file, report=report)]
        data, text = report.to_dict(), format_text(report)
    else:
        results = check_files(documents(args.files), limits)
        data, text = batch_dict(results), format_batch_text(results)
    if args.format == "csv":
        write_csv(results, sys.stdout)
    elif args.format == "json":
        print(json.dumps(data, indent=2))
    else:
        print(printable(text, keep="\n"))  # no escape sequence reaches a terminal
    refuted = any(r.report is not None and r.report.refuted for r in results)
    return 1 if refuted else 0


def _experiment(args) -> int:
    from derive.experiments import DATASETS, Settings, run_experiments
    from derive.experiments.findings import format_text

    names = list(dict.fromkeys(args.datasets or DATASETS))
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        raise InputError(f"unknown data set {unknown[0]!r}; choose from {', '.join(DATASETS)}")
    if not 2 <= args.splits <= 50:
        raise InputError(f"--splits must be between 2 and 50, got {args.splits}")
    data = run_experiments(Settings(datasets=tuple(names), splits=args.splits), _progress)
    print(json.dumps(data, indent=1) if args.format == "json" else format_text(data))
    return 0


COMMANDS = {
    "list": _list,
    "show": _show,
    "table": _table,
    "report": _report,
    "check": _check,
    "experiment": _experiment,
}


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that every clean-up runs on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    previous = {number: signal.signal(number, _stop) for number in STOP_SIGNALS}
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except DeriveError as exc:
        print(f"derive: {printable(str(exc), keep=chr(10))}", file=sys.stderr)
        return 2
    except Stopped as exc:
        print(f"derive: stopped by {exc}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    sys.exit(main())
