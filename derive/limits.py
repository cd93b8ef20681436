"""The time and memory a document may use while it is checked: a safety net for hostile input.

Ordinary documents use a small fraction of these limits (the assignment: about 1 s of CPU time
and 30 MB), so no ordinary verdict depends on them. They are enforced by the operating system
on the worker processes of :mod:`derive.checking.workers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STEP_SECONDS = 30.0
DOCUMENT_SECONDS = 120.0
MEMORY_BYTES = 1 << 30

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """CPU seconds per step and per document (reading included), and memory per worker."""

    step_seconds: float = STEP_SECONDS
    document_seconds: float = DOCUMENT_SECONDS
    memory_bytes: int = MEMORY_BYTES

    def __post_init__(self) -> None:
        if not (self.step_seconds > 0 and self.document_seconds > 0 and self.memory_bytes > 0):
            raise ValueError(f"limits must be positive: {self}")

    def describe_step(self) -> str:
        """The time limit of one step, for a reason."""
        return f"{self.step_seconds:g} s of CPU time per step"

    def describe_document(self) -> str:
        """The time limit of the document, for a reason."""
        return f"{self.document_seconds:g} s of CPU time per document"

    def describe_memory(self) -> str:
        """The memory limit, for a reason."""
        return format_size(self.memory_bytes)


def parse_size(text: str) -> int:
    """Bytes from ``1G``, ``512M``, ``1.5GB``, ``300k`` or a plain number of bytes."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (write for example 512M or 1G)")
    size = int(float(match[1]) * _UNITS[match[2].upper()])
    if size <= 0:
        raise ValueError(f"not a positive size: {text!r}")
    return size


def format_size(size: int) -> str:
    """``1 GB``, ``512 MB``: the largest unit that keeps three significant digits."""
    for unit in ("T", "G", "M", "K"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.3g} {unit}B"
    return f"{size} byte" if size == 1 else f"{size} bytes"
