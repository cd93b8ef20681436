"""The derivation cache: faithful, keyed by content, never trusted when damaged, safe to share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive import cache
from derive.api import _builtin_derivation, _builtin_key
from derive.codec import CodecError, decode, derivation_from_json, derivation_to_json, encode

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(folder))
    _builtin_derivation.cache_clear()
    yield folder
    _builtin_derivation.cache_clear()


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=300,
    )


def test_location_follows_the_xdg_convention(monkeypatch, tmp_path):
    monkeypatch.delenv("DERIVE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "derive"
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


@pytest.mark.parametrize("name", derive.derivations())
def test_a_cached_derivation_is_the_derivation(name: str, cache_dir: Path):
    fresh = derive.derivation(name, use_cache=False)
    stored = derivation_from_json(json.loads(json.dumps(derivation_to_json(fresh))), fresh.model)
    assert stored.to_dict() == fresh.to_dict()
    assert stored.latex() == fresh.latex()
    assert stored.steps == fresh.steps  # the SymPy objects themselves, unevaluated forms too


def test_codec_keeps_unevaluated_products_and_refuses_unknown_names():
    y = sp.Symbol("y")
    product = sp.Mul(1 / y, y, 1 - y, evaluate=False)
    assert decode(encode(product)) == product and decode(encode(product)).args == product.args
    for bad in (["__import__", ["Symbol", "os", {}]], ["Symbol", "x", {"real": "yes"}], [], "x"):
        with pytest.raises(CodecError):
            decode(bad)


def _entry(cache_dir: Path, name: str, kind: str) -> Path:
    return cache_dir / f"{_builtin_key(name)}.{kind}.json"


def test_the_cache_is_used_and_no_cache_bypasses_it(cache_dir: Path):
    env = {"DERIVE_CACHE_DIR": str(cache_dir)}
    real = run("show", "svm", "--format", "json", env=env)
    assert real.returncode == 0, real.stderr
    # an entry with a sound checksum is believed: plant one to see that it is read
    cache.store(_builtin_key("svm"), "show-json", "planted")
    assert run("show", "svm", "--format", "json", env=env).stdout == "planted\n"
    bypass = run("show", "svm", "--format", "json", "--no-cache", env=env)
    assert bypass.stdout == real.stdout


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: text.replace('"rule":"chain rule"', '"rule":"chain ruse"', 1),  # one edit
        lambda text: text.replace('"kind":"derivation"', '"kind":"show-json"'),  # foreign
        lambda text: "\x00\xff not json",
    ],
    ids=["truncated", "edited", "foreign", "garbage"],
)
def test_a_damaged_entry_is_rebuilt_never_trusted(damage, cache_dir: Path):
    good = derive.derivation("logistic").to_dict()
    path = _entry(cache_dir, "logistic", "derivation")
    original = path.read_text()
    assert damage(original) != original
    path.write_text(damage(original), errors="surrogateescape")
    _builtin_derivation.cache_clear()
    assert derive.derivation("logistic").to_dict() == good
    assert cache.load(_builtin_key("logistic"), "derivation") is not None  # rewritten, sound


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = run("show", "logistic", "--format", "json", env={"DERIVE_CACHE_DIR": str(blocker)})
    assert out.returncode == 0 and out.stderr == ""
    assert json.loads(out.stdout)["name"] == "logistic"


def test_two_processes_filling_the_cache_at_once_both_succeed(cache_dir: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DERIVE_CACHE_DIR": str(cache_dir)}
    command = [sys.executable, "-m", "derive", "show", "softmax", "--format", "json"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0]
    assert outputs[0] == outputs[1] and json.loads(outputs[0])["name"] == "softmax"
    assert not list(cache_dir.glob(".entry-*"))  # no temporary file left behind


def test_import_and_list_do_not_load_sympy_or_matplotlib():
    probe = (
        "import sys, derive\n"
        "from derive.cli import main\n"
        "main(['list'])\n"
        "heavy = [m for m in ('sympy', 'matplotlib', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    assert "softmax" in out.stdout
