# pingan: two commands. `make demo` sets everything up and serves a demo county; `make test` passes the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := pingan/web
PORT   ?= 8000

.PHONY: demo test install system-deps web bench clean lock screenshots

demo: $(STAMP) web
	$(BIN)/pingan demo --dir demo --port $(PORT)

test: $(STAMP) web system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

install: $(STAMP) web

# Pinned direct dependencies in pyproject.toml, and every transitive one pinned in requirements.lock.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Front-end packages from the npm registry, at install time only (nothing is fetched at run time).
web: $(WEB)/node_modules/.installed
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error && mkdir -p node_modules
	touch $@

# Debian packages the tests use: a real browser for the workbench tests, PostgreSQL for the comparison
# benchmark. Installed when missing (CI runs as root).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then \
		echo "Installing Debian chromium and a CJK font for the browser tests and PDF reports"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

# Regenerate the screenshots in docs/screenshots (the browser tests write them when asked).
screenshots: $(STAMP) web system-deps
	PINGAN_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/web

# Re-pin after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

# Benchmarks take minutes to an hour each; this installs what they need and lists them (bench/README.md).
bench: $(STAMP) web system-deps
	$(BIN)/pip install -q -c requirements.lock -e '.[test,bench]'
	@cat bench/README.md

clean:
	rm -rf $(VENV) demo .pytest_cache $(WEB)/node_modules
