# Convolutional Layers, from Loops to Keras.
#   make book         build the HTML book into _build/html (creates .venv on first use)
#   make test         everything: lint, the workflow audit, the lock check, unit and parity tests, nbval over
#                     every notebook on this machine and on simulated other machines (network cut off), the
#                     book build, and the browser tests of the built pages
#   make lab          open the notebooks in JupyterLab from the same environment
#   make unit         the unit tests (the fast tier, without TensorFlow) and the parity tests against TensorFlow
#   make unit-fast    the fast tier alone: the library against a NumPy/SciPy oracle, in under a minute
#   make nbval-plain  nbval over every notebook once, on this machine as it is
#   make lock         re-resolve requirements.in into the pinned, universal requirements.txt

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
WORKFLOWS := $(sort $(wildcard .github/workflows/*.yml))
CHROMIUM ?= /usr/bin/chromium
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL := $(PYTEST) --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)
# Notebooks run with the network cut off where the machine allows a private network namespace.
CAN_UNSHARE := $(shell unshare -n true 2>/dev/null && command -v ip >/dev/null && echo yes)

# The portability stage: every stored output must be what the code prints on any reader's machine, so nbval
# re-executes the notebooks on this machine as it is and then on simulated other machines, each a command
# prefix. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are left as the machine sets them, in every one.
#   this-machine  the machine as it is
#   one-core      a single core (taskset) with single-threaded BLAS and OpenMP: every library sums in the
#                 order of one thread, and TensorFlow sizes its thread pools for one CPU
#   no-onednn     TensorFlow without oneDNN, as its macOS arm64 wheels run: Eigen's kernels, and a CPU Conv2D
#                 that computes channels-last only
#   avx2          a CPU without AVX-512, as oneDNN (ONEDNN_MAX_CPU_ISA) and NumPy's dispatch see it
KNOWN_MACHINES := this-machine one-core no-onednn avx2
MACHINES ?= $(KNOWN_MACHINES)
MACHINE_this-machine :=
MACHINE_one-core := taskset -c 0 env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
MACHINE_no-onednn := env TF_ENABLE_ONEDNN_OPTS=0
MACHINE_avx2 := env ONEDNN_MAX_CPU_ISA=AVX2 NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"

# The lock: requirements.in (the direct dependencies) resolved by uv for every platform and Python at once.
# LOCK_PYTHON is the oldest Python it supports, the same as requires-python in pyproject.toml.
LOCK_PYTHON := 3.11.2

.PHONY: book test lint workflows lock lock-check unit unit-fast unit-fast-without-tensorflow parity nbval nbval-plain \
	browser browser-deps lab clean

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
	$(BIN)/lint-imports

# Every workflow validated against GitHub's schema and audited by zizmor, both offline; any finding fails.
workflows: $(INSTALLED)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(BIN)/zizmor --offline --strict-collection .github/workflows

lock: $(INSTALLED)
	$(BIN)/uv pip compile requirements.in --universal --python-version $(LOCK_PYTHON) --output-file requirements.txt

# The lock resolves, from wheels alone, on every platform and Python the book supports (asks the package
# index, installs nothing).
lock-check: $(INSTALLED)
	UV=$(BIN)/uv $(PYTEST) tests/lock

# The fast tier needs no TensorFlow: make test proves it by running it with tensorflow and keras made
# unimportable (tests/without_tensorflow shadows both with packages that raise ImportError).
unit-fast: $(INSTALLED)
	$(PYTEST) tests/unit tests/test_notebooks.py src/convbook

unit-fast-without-tensorflow: $(INSTALLED)
	PYTHONPATH=tests/without_tensorflow CONVBOOK_WITHOUT_TENSORFLOW=1 $(PYTEST) tests/unit tests/test_notebooks.py src/convbook

parity: $(INSTALLED)
	$(PYTEST) tests/parity

unit: unit-fast parity

nbval: $(addprefix nbval-on-,$(MACHINES))

nbval-plain: nbval-on-this-machine

# (a pattern rule: make applies none to .PHONY targets, so these are not declared phony)
nbval-on-%: $(INSTALLED)
	@$(if $(filter $*,$(KNOWN_MACHINES)),,echo "no simulated machine called $*; known: $(KNOWN_MACHINES)"; exit 1;) \
	start=$$(date +%s); \
	echo 'nbval on $*: $(or $(MACHINE_$*),the machine as it is)'; \
	if [ "$(CAN_UNSHARE)" = yes ]; then \
		echo "(network cut off: unshare -n, loopback only)"; \
		unshare -n sh -c 'ip link set lo up && exec $(MACHINE_$*) $(NBVAL)' || exit 1; \
	else \
		echo "(unshare -n is not permitted here: the notebooks run with the network on)"; \
		$(MACHINE_$*) $(NBVAL) || exit 1; \
	fi; \
	echo "nbval on $*: passed in $$(( $$(date +%s) - start )) s"

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

test: lint workflows lock-check unit-fast-without-tensorflow parity nbval book browser
	@echo "make test: all checks passed"

lab: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf _build
