# Two commands run everything on a fresh machine:
#   make demo   -- the main experiment (GRACE on Cora, linear-probe results table)
#   make test   -- the test suite (plus lint)
# Both create (or reuse) a virtual environment in .venv, install torch==2.13.0 first (a CPU build
# where one is available, so nothing drags in a multi-GB CUDA build), then this package.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.gcl-installed
# Development checkouts sit beside a shared data folder; users get downloads into ~/.cache/gcl.
ifeq ($(GCL_DATA_DIR),)
ifneq ($(wildcard ../shared/datasets),)
export GCL_DATA_DIR := $(abspath ../shared/datasets)
endif
endif

.PHONY: demo test lint install clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,notebooks,recbole]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gcl node run experiments/node/grace_cora.yaml

lint: $(STAMP)
	$(VENV)/bin/ruff check gcl tests experiments notebooks

# The core suite runs with RecBole import-blocked (it must work without the optional extra), then the
# RecBole integration tests run with it.
test: $(STAMP) lint
	GCL_BLOCK_RECBOLE=1 $(PY) -m pytest -q --ignore=tests/integrations
	$(PY) -m pytest -q tests/integrations

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
