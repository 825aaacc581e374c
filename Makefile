# word2vec explorer — `make run` starts the app, `make test` runs every test.
# Both create .venv and install what they need first (idempotent, fast when done).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test lint bench native setup setup-dev browser clean

$(VENV)/.runtime-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime-installed native
setup-dev: $(VENV)/.dev-installed native

# The compiled TensorFlow op (trainer/native); a no-op when already built, and a retry of a recorded
# failure. A failed build stops make with the compiler's message; no compiler at all is a loud
# warning (training then uses TensorFlow ops, several times slower on a CPU) and set-up goes on.
native: $(VENV)/.runtime-installed
	$(PY) -m trainer.native --allow-missing-compiler

# Debian's chromium for the browser test (installed only when missing and we are root).
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@command -v chromium >/dev/null 2>&1 || echo "warning: chromium missing; the browser test will be skipped"

run: setup
	$(PY) -m streamlit run app.py --server.headless true --server.port $(PORT) \
	  --browser.gatherUsageStats false

lint: setup-dev
	$(PY) -m ruff check .

test: setup-dev browser lint
	$(PY) -m pytest

bench: setup-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) trainer/native/_word2vec_ops_* .pytest_cache tests/artifacts
