"""The derivation cache on disk: verified derivations (and their printed forms) by content.

Entries live in ``$DERIVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/derive``, else
``~/.cache/derive``. A key hashes what the result depends on: the model (a built-in by its
name, a model of your own by its content), derive's version and source code, and SymPy's
version. An entry is JSON with the SHA-256 of its payload; one that is truncated, corrupt or
written for another key is ignored and rebuilt, never trusted. Writes go to a temporary file
renamed into place, so readers never see half an entry and two processes filling the cache at
once both succeed. A cache that cannot be written is skipped silently: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = 1
PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Where entries are kept (DERIVE_CACHE_DIR overrides the XDG location)."""
    explicit = os.environ.get("DERIVE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "derive"


@cache
def fingerprint() -> str:
    """derive's version and source files, and SymPy's version: a change to any is a new key."""
    digest = hashlib.sha256()
    for name in ("derive", "sympy"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=?;".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key(*parts: str) -> str:
    """The key of an entry: the fingerprint and the parts that name what it holds."""
    return hashlib.sha256("\0".join((fingerprint(), *parts)).encode()).hexdigest()


def _path(entry_key: str, kind: str) -> Path:
    return cache_dir() / f"{entry_key}.{kind}.json"


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load(entry_key: str, kind: str) -> Any | None:
    """The payload stored under (key, kind), or None if there is none or it is not sound."""
    try:
        with open(_path(entry_key, kind), encoding="utf-8") as f:
            entry = json.load(f)
    except (OSError, ValueError, RecursionError):
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("format") != FORMAT
        or entry.get("key") != entry_key
        or entry.get("kind") != kind
        or "payload" not in entry
    ):
        return None
    try:
        if entry.get("sha256") != _digest(_canonical(entry["payload"])):
            return None
    except (TypeError, ValueError):
        return None
    return entry["payload"]


def store(entry_key: str, kind: str, payload: Any) -> None:
    """Write an entry atomically; any failure to write leaves the cache as it was."""
    folder = cache_dir()
    try:
        text = _canonical(payload)
        header = json.dumps(
            {"format": FORMAT, "key": entry_key, "kind": kind, "sha256": _digest(text)},
            sort_keys=True,
            separators=(",", ":"),
        )
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
    except (OSError, ValueError, TypeError):
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(header[:-1] + ',"payload":' + text + "}")
        os.replace(temporary, _path(entry_key, kind))
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
