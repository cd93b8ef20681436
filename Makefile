# Two commands set everything up: `make report` (the PDF) and `make test` (the tests).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SOURCES := $(shell find derive templates -name '*.py' -o -name '*.tex' 2>/dev/null)
CHECK  ?=

.PHONY: test report lint bench clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check derive tests benchmarks
	$(VENV)/bin/ruff format --check derive tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_derive.py
	$(PY) benchmarks/bench_check.py

report: reports/derivations.pdf

reports/derivations.pdf: $(STAMP) $(SOURCES) $(CHECK)
	@scripts/ensure-tex.sh
	$(PY) -m derive report --output $@ $(if $(CHECK),--check $(CHECK))

clean:
	rm -rf $(VENV) reports/*.pdf reports/*.tex .pytest_cache
