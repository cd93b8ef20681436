"""Turn derivations into text, LaTeX and PDF; the math never depends on this package."""

from derive.render.latex import derivation_fragment, derivation_notebook
from derive.render.report import build_report
from derive.render.text import derivation_text

__all__ = ["build_report", "derivation_fragment", "derivation_notebook", "derivation_text"]
