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
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_verify.py
	$(PY) benchmarks/bench_callables.py

REPORT_INPUTS := $(SOURCES) $(wildcard examples/*.md) $(CHECK)

report: reports/derivations.pdf

# Without TeX (and no way to install it) the .tex is still written and make fails.
reports/derivations.pdf: $(STAMP) $(REPORT_INPUTS)
	@status=0; bash scripts/ensure-tex.sh || status=$$?; \
	if [ $$status -eq 0 ]; then \
	  $(PY) -m derive report --output $@ $(if $(CHECK),--check $(CHECK)); \
	else \
	  $(PY) -m derive report --output $@ $(if $(CHECK),--check $(CHECK)) >/dev/null 2>&1; \
	  exit $$status; \
	fi

clean:
	rm -rf $(VENV) reports/*.pdf reports/*.tex .pytest_cache
