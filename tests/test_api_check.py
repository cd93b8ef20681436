"""derive.check stays a function whatever is imported (the checker lives in derive.checking)."""

import importlib

import derive


def test_check_is_a_function_after_importing_the_checker_package():
    importlib.import_module("derive.checking")
    importlib.import_module("derive.checking.checker")
    assert callable(derive.check)
    report = derive.check("$$ (a+b)^2 = a^2 + 2ab + b^2 $$")
    assert [s.verdict for s in report.steps] == ["proved"]


def test_model_stays_a_function_after_importing_the_model_module():
    importlib.import_module("derive.model")
    assert callable(derive.model) and derive.model("svm").name == "svm"


def test_check_passes_limits_through():
    from derive.limits import Limits

    report = derive.check("$$ a + a = 2a $$", limits=Limits(memory_bytes=512 * 2**20))
    assert [s.verdict for s in report.steps] == ["proved"]
