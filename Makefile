# The README's two commands: `make train` and `make test`.
# Both create .venv if missing, install the project, build the offline base
# encoder if missing, then run. Every step is skipped when already done.

PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
# Installed before the project so that pip keeps this build (on CPU-only
# machines the local CPU wheel) instead of pulling the newest CUDA one.
TORCH_SPEC ?= torch==2.13.0
ENCODER    := models/base/multilingual-e5-small
CONFIG     ?= configs/default.yaml
PYTEST_ARGS ?=

export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: train test setup encoder lint clean

# --resume: an interrupted run continues from its last checkpoint, a finished one is left as it is.
train: setup
	$(PY) scripts/train.py --config $(CONFIG) --resume

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed $(ENCODER)/config.json

encoder: $(ENCODER)/config.json

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The build writes into a temp dir and renames it, so config.json only exists
# for a complete encoder.
$(ENCODER)/config.json: $(VENV)/.installed
	$(PY) scripts/build_base_model.py --output $(ENCODER)

lint: $(VENV)/.installed
	$(PY) -m ruff check src scripts tests

clean:
	rm -rf $(VENV) models/base models/runs .pytest_cache
