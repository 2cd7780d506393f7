# pingan: two commands. `make demo` sets everything up and serves a demo county; `make test` passes the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: demo test install bench clean lock

demo: $(STAMP)
	$(BIN)/pingan demo --dir demo --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

install: $(STAMP)

# Pinned direct dependencies in pyproject.toml, and every transitive one pinned in requirements.lock.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Re-pin after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo .pytest_cache
