"""User text made safe to show: control characters written as escapes, never sent raw."""

from __future__ import annotations

import unicodedata

CONTROL = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))


def is_control(char: str) -> bool:
    """True for a control, format, surrogate, private-use or unassigned character."""
    return unicodedata.category(char) in CONTROL


def printable(text: str, keep: str = "") -> str:
    """``text`` with each control character (but those in ``keep``) written as ``\\x01``."""
    if not any(is_control(c) and c not in keep for c in text):
        return text
    return "".join(_escape(c) if is_control(c) and c not in keep else c for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )
