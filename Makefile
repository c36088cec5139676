# The commands: `make demo`, `make test` (everything, what CI runs) and `make test-fast` (the
# tests that start no Ray, for the edit loop). All bootstrap .venv when it is missing or
# pyproject.toml changed since the last install (the stamp file records that).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: demo test test-fast

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,demo]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m vqa.demo --out $(DEMO_OUT)

# Two pytest-xdist workers, each a whole file at a time (a module's fixtures stay in one
# process; the Serve folder is one unit: tests/conftest.py): much of the suite waits on Ray,
# Train and Serve starting, which two sessions overlap.
test: $(STAMP)
	$(PY) -m pytest tests -n 2 --dist loadfile

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not ray"
