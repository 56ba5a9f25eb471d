# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install demo bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, load demo data into an empty store, serve on http://127.0.0.1:8000 (SQLite)
run: $(STAMP)
	JOINTINSPECT_ENV=$${JOINTINSPECT_ENV:-demo} $(BIN)/jointinspect demo
	JOINTINSPECT_ENV=$${JOINTINSPECT_ENV:-demo} $(BIN)/jointinspect serve

## make test: install, run the whole suite on SQLite and PostgreSQL (and the UI in headless Chromium)
test: $(STAMP) browser
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser of its own),
# CJK fonts so Chinese renders, and its Chinese locale for native widgets. Installed only when missing.
BROWSER_PACKAGES := chromium fonts-noto-cjk chromium-l10n
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES)) >/dev/null \
	      || echo "warning: could not install $(BROWSER_PACKAGES)"; \
	  else \
	    echo "note: install $(BROWSER_PACKAGES) for the browser tests (they are skipped without it, fail with CI=true)"; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/commands.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
