# Set-up is two commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run study test validate bench venv clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/quantacore run --config configs/default.yaml --summary out/run/summary.json
	@echo "summary: out/run/summary.json"

study: $(STAMP)
	$(VENV)/bin/quantacore study thresholds --config configs/studies/quick.yaml --out out/quick

test: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow" -q

validate: $(STAMP)
	$(PY) -m pytest -m slow -q

bench: $(STAMP)
	$(PY) bench/decode.py
	$(PY) bench/emulator.py
	$(PY) bench/transport.py
	$(PY) bench/loop.py

clean:
	rm -rf $(VENV) out .pytest_cache
