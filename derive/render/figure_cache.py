"""Figures kept on disk beside the derivations: drawing them with matplotlib is a good part
of a warm report build, and the same inputs always give the same figure.

An entry is keyed by what the figures are drawn from (hashed), matplotlib's version and, through
:func:`derive.cache.key`, derive's own source; a damaged entry is drawn again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from importlib import metadata
from typing import Any

from derive import cache

KIND = "figures"


def _matplotlib() -> str:
    try:
        return metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        return "?"


def cached_figures(
    name: str, inputs: Any, draw: Callable[[], dict[str, bytes]]
) -> dict[str, bytes]:
    """The figure files ``draw()`` makes from ``inputs``, read from the cache when there."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=repr).encode()).hexdigest()
    entry = cache.key(KIND, name, digest, _matplotlib())
    stored = cache.load(entry, KIND)
    if isinstance(stored, dict) and stored:
        try:
            return {str(k): base64.b64decode(v, validate=True) for k, v in stored.items()}
        except (binascii.Error, TypeError, ValueError):
            pass
    files = draw()
    cache.store(entry, KIND, {k: base64.b64encode(v).decode("ascii") for k, v in files.items()})
    return files
