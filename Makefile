# glassnet: `make run` trains LeNet-5 on Fashion-MNIST; `make test` runs the whole test suite.
# Both start from nothing: they create .venv and install what they need.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FASHION_DIR := /usr/share/datasets/fashion-mnist

.PHONY: run test bench data venv clean lint docs

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip >/dev/null 2>&1 || true
	$(PIP) install -q -e ".[all]"
	touch $@

# The tests include the site (tests/test_site.py): MkDocs comes with them, so that the strict
# build is tested too; its pages are read in a browser where Chromium is installed.
$(VENV)/.test: $(VENV)/.base
	$(PIP) install -q -e ".[test,docs]"
	$(PIP) install -q torch==2.13.0
	touch $@

venv: $(VENV)/.base

# Fashion-MNIST from Debian's dataset-fashion-mnist package when we may install it;
# otherwise glassnet looks in $$GLASSNET_DATA and ~/.glassnet/data and says what it needs.
data:
	@if [ ! -d $(FASHION_DIR) ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1)) \
		|| echo "note: could not install dataset-fashion-mnist; set GLASSNET_DATA to a folder with the IDX files"; \
	fi

run: $(VENV)/.base data
	$(PY) -m glassnet.cli train --model lenet5 --dataset fashion-mnist --epochs 15 \
		--batch-size 64 --optimizer sgd --lr 0.05 --momentum 0.9 --weight-decay 5e-4 \
		--scheduler cosine --seed 0 --out runs/lenet5-fashion-mnist

test: $(VENV)/.test
	$(PY) -m pytest -n 2 --dist loadgroup tests

# The peers of benchmarks/bench_peers.py (JAX, tinygrad): tinygrad's CPU device compiles its
# kernels with clang, from Debian's package when we may install it (else it is reported).
$(VENV)/.bench: $(VENV)/.test
	$(PIP) install -q -e ".[bench]"
	@if ! command -v clang >/dev/null && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q clang >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q clang >/dev/null 2>&1)) \
		|| echo "note: could not install clang; tinygrad will be reported as unable to run"; \
	fi
	touch $@

bench: $(VENV)/.bench data
	$(PY) -m benchmarks.run

# The learner's site: MkDocs (Material theme, mkdocstrings for the API reference) into .venv,
# then a strict build into site/ (every link and page checked).
$(VENV)/.docs: $(VENV)/.base
	$(PIP) install -q -e ".[docs]"
	touch $@

docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

lint: $(VENV)/.test
	$(PY) -m ruff check glassnet tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
