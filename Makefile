# Convolutional Layers, from Loops to Keras.
#   make book   build the HTML book into _build/html (creates .venv on first use)
#   make test   everything: lint, unit and parity tests, nbval over every notebook (network cut off, three
#               runs), the book build, and the browser tests of the built pages
#   make lab    open the notebooks in JupyterLab from the same environment

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
NBVAL_RUNS ?= 3
CHROMIUM ?= /usr/bin/chromium
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL := $(PYTEST) --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)
# Notebooks run with the network cut off where the machine allows a private network namespace.
CAN_UNSHARE := $(shell unshare -n true 2>/dev/null && command -v ip >/dev/null && echo yes)

.PHONY: book test lint unit nbval browser browser-deps lab clean

$(INSTALLED): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

book: $(INSTALLED)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "The book is in _build/html/index.html"

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(INSTALLED)
	$(PYTEST) --ignore=tests/browser

nbval: $(INSTALLED)
	@for run in $$(seq 1 $(NBVAL_RUNS)); do \
		echo "nbval run $$run of $(NBVAL_RUNS)"; \
		if [ "$(CAN_UNSHARE)" = yes ]; then \
			echo "(network cut off: unshare -n, loopback only)"; \
			unshare -n sh -c 'ip link set lo up && exec $(NBVAL)' || exit 1; \
		else \
			echo "(unshare -n is not permitted here: the notebooks run with the network on)"; \
			$(NBVAL) || exit 1; \
		fi; \
	done

# Debian's Chromium for the browser tests; installed when missing and we are root.
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
		else \
			echo "No Chromium at $(CHROMIUM) and not root: the browser tests will say they skipped."; \
		fi; \
	fi

browser: $(INSTALLED) browser-deps
	CHROMIUM=$(CHROMIUM) $(PYTEST) -rs tests/browser

test: lint unit nbval book browser
	@echo "make test: all checks passed"

lab: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf _build
