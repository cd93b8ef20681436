"""Experiment results on disk (beside the derivations of :mod:`derive.cache`), keyed by
everything that decides them.

The key hashes the settings, the versions of derive, NumPy, SciPy and scikit-learn, and the
source of the modules that compute the results, so a change to any of them is a new entry and
an unchanged report build reads the file instead of training again. Timings are stored with
the results they came with (they are the timings of the run that made the entry).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from derive.cache import cache_dir
from derive.experiments.run import Settings, run_experiments

PACKAGE = Path(__file__).resolve().parents[1]
SOURCES = ("experiments/*.py", "numeric/compiled.py", "numeric/reference.py")


def cache_key(settings: Settings) -> str:
    """A hash of the settings, the library versions and the source that computes results."""
    import numpy
    import scipy
    import sklearn

    import derive

    digest = hashlib.sha256()
    versions = [derive.__version__, numpy.__version__, scipy.__version__, sklearn.__version__]
    digest.update(json.dumps([settings.to_dict(), versions], sort_keys=True).encode())
    for pattern in SOURCES:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def cached_experiments(
    settings: Settings | None = None,
    progress: Callable[[str], None] = lambda _: None,
    directory: Path | None = None,
) -> dict:
    """The results of :func:`run_experiments`, from the cache when they are there."""
    settings = settings or Settings()
    folder = directory or cache_dir()
    path = folder / f"experiments-{cache_key(settings)}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    data = run_experiments(settings, progress)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".experiments-", suffix=".json")
        with os.fdopen(handle, "w") as file:
            json.dump(data, file)
        os.replace(temporary, path)  # whole or not at all, even with two builds at once
    except OSError as error:
        progress(f"experiments: results not cached ({error.strerror or error})")
    return data
