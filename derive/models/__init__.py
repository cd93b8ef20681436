"""The built-in models of the founding assignment; each is plain data for the engine."""

from derive.model import Model
from derive.models import logistic, softmax, svm

MODELS: dict[str, Model] = {m.name: m for m in (logistic.MODEL, softmax.MODEL, svm.MODEL)}
