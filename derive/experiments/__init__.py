"""Training the linear softmax classifier and the linear multiclass SVM on real data sets.

Both are trained with derive's own derived loss-and-gradient callables
(:func:`derive.value_and_grad_function`) and the same optimiser (SciPy's L-BFGS-B), on
scikit-learn's bundled data sets, and measured: accuracy, iterations, hinge-satisfied
examples, calibration; the softmax optimum is cross-checked against scikit-learn.
"""

from derive.experiments.datasets import DATASETS
from derive.experiments.run import Settings, run_experiments

__all__ = ["DATASETS", "Settings", "run_experiments"]
