# The two commands a new user needs are `make demo` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install client-venvs demo test check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("tsukuru needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==0.13.8
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'
	touch $(STAMP)

demo: install
	MPLBACKEND=Agg $(PY) examples/demo.py

client-venvs: install
	PYTHON=$(PYTHON) UV=$(VENV)/bin/uv scripts/client-venvs.sh

test: install client-venvs
	$(VENV)/bin/pytest -q -ra

check: install
	$(VENV)/bin/ruff check tsukuru tests bench examples
	$(VENV)/bin/ruff format --check tsukuru tests bench examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: install
	$(PY) -m bench
	HYPOTHESIS_PROFILE=long $(VENV)/bin/pytest -q tests/fuzz

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
