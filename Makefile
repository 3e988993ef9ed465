# The two commands a fresh machine needs: `make serve` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
MKDOCS_ADDR ?= 127.0.0.1:8000
# npm packages served by the site (mermaid) and used by the browser tests (axe-core): see `vendor`.
MERMAID_VERSION ?= 11.17.2
AXE_VERSION     ?= 4.14.1
VENDOR_STAMP    := docs/javascripts/vendor/.mermaid-$(MERMAID_VERSION).axe-$(AXE_VERSION)

.PHONY: install runtime serve test lint site labs lab up down clean vendor system-deps

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

runtime: install
	$(BIN)/kafkalab fetch

up: runtime
	@$(BIN)/kafkalab bootstrap >/dev/null 2>&1 && echo "kafkalab: cluster already up" || $(BIN)/kafkalab up

down: install
	$(BIN)/kafkalab down

# The labs whose executed notebook (docs/labs/<lab>.ipynb, written by tests/labs) is missing or older
# than notebooks/<lab>.py, as a pytest -k expression ("lab01_acks or lab03_..."); empty when none is.
STALE_LABS = for nb in notebooks/lab*.py; do lab=$$(basename $$nb .py); \
	[ docs/labs/$$lab.ipynb -nt $$nb ] || printf '%s or ' $$lab; done
RUN_LABS   = KAFKA_BOOTSTRAP_SERVERS=$$($(BIN)/kafkalab bootstrap) $(BIN)/pytest -q -p no:cacheprovider tests/labs
# Where `make serve` writes the output of the labs it runs in the background.
LABS_LOG  ?= .cache/labs-serve.log

# Executes the labs against the running lab cluster; the site renders their outputs.
labs: up
	@stale=$$($(STALE_LABS)); \
	if [ -z "$$stale" ]; then echo "labs: the executed notebooks are up to date"; else \
		$(RUN_LABS) -k "$${stale% or }"; fi

# Serves at once: a lab not executed yet shows its text and code with a note (docs/hooks/unexecuted_labs.py)
# while the stale labs run in the background against the lab cluster; mkdocs serve reloads each lab page
# when its docs/labs/<lab>.ipynb is written. Stopping the server (Ctrl-C) stops that run too.
serve: up vendor
	@echo "Lab cluster: export KAFKA_BOOTSTRAP_SERVERS=$$($(BIN)/kafkalab bootstrap)  (stop it with: make down)"
	@stale=$$($(STALE_LABS)); labs=""; \
	if [ -n "$$stale" ]; then \
		mkdir -p $(dir $(LABS_LOG)); \
		setsid sh -c '$(RUN_LABS) -k "$$1"' labs "$${stale% or }" >$(LABS_LOG) 2>&1 </dev/null & labs=$$!; \
		export FIELD_GUIDE_LABS_LOG=$(LABS_LOG); \
		echo "labs: running $${stale% or } in the background; each lab page fills in when its lab finishes (log: $(LABS_LOG))"; \
	fi; \
	trap 'if [ -n "$$labs" ]; then kill -TERM -- -$$labs 2>/dev/null && echo "labs: background run stopped"; \
		$(BIN)/kafkalab wait-healthy --timeout 60 >/dev/null 2>&1 || echo "labs: the cluster is not healthy: make up"; fi' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/mkdocs serve --dev-addr $(MKDOCS_ADDR)

# JupyterLab on the labs, against the lab cluster: a lab opens as a notebook on double-click (jupytext's
# viewer is the default for .py: jupyter/settings/overrides.json5). Its kernels get the cluster's
# KAFKA_BOOTSTRAP_SERVERS (and KAFKALAB_STATE_DIR when set, for Cluster.attach()). Jupyter's and IPython's
# own folders (settings changed in the UI, workspaces, runtime files, kernel specs) are in $(LAB_HOME), so a
# ~/.jupyter or ~/.local/share/jupyter is neither read nor written. LAB_BROWSER=no opens no browser.
LAB_PORT    ?= 8888
LAB_DIR     ?= notebooks
LAB_BROWSER ?= yes
LAB_HOME    ?= .cache/jupyter

lab: up
	@home="$(abspath $(LAB_HOME))"; \
	export KAFKA_BOOTSTRAP_SERVERS=$$($(BIN)/kafkalab bootstrap) \
		JUPYTER_CONFIG_DIR="$$home/config" JUPYTER_DATA_DIR="$$home/data" JUPYTER_RUNTIME_DIR="$$home/runtime" \
		JUPYTERLAB_SETTINGS_DIR="$$home/user-settings" JUPYTERLAB_WORKSPACES_DIR="$$home/workspaces" \
		IPYTHONDIR="$$home/ipython"; \
	echo "Lab cluster: KAFKA_BOOTSTRAP_SERVERS=$$KAFKA_BOOTSTRAP_SERVERS  (stop it with: make down)"; \
	echo "JupyterLab: open the URL it prints below; double-click a lab to open it as a notebook"; \
	exec $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir="$(abspath $(LAB_DIR))" --LabApp.app_settings_dir="$(CURDIR)/jupyter/settings" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		$(if $(filter no false 0,$(LAB_BROWSER)),--no-browser) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Builds without a cluster: a lab not executed yet renders unexecuted, with a note. The publishing build
# sets FIELD_GUIDE_REQUIRE_EXECUTED_LABS=1, under which such a lab fails the build instead.
site: runtime vendor
	$(BIN)/mkdocs build --strict

test: runtime lint vendor
	$(BIN)/pytest

clean: down
	rm -rf $(VENV) site

# System packages the browser tests and `vendor` need: Debian's Chromium (driven by Playwright; never
# `playwright install`) and npm. Installs them as root with apt-get, otherwise says what to install.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -z "$$missing" ]; then echo "system-deps: chromium and npm are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && apt-get install -y $$missing; \
	else echo "system-deps: missing:$$missing; install with: sudo apt-get install -y$$missing"; exit 1; fi

# Offline site: mermaid.min.js is served from docs/javascripts/vendor/ (docs/javascripts/mermaid-loader.js),
# axe.min.js is injected by tests/browser. Both come from the npm registry (`npm pack`), both are gitignored.
vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP):
	@command -v npm >/dev/null || { echo "vendor: npm is required (make system-deps)"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	npm pack --silent --pack-destination "$$tmp" mermaid@$(MERMAID_VERSION) axe-core@$(AXE_VERSION) >/dev/null; \
	mkdir -p docs/javascripts/vendor tests/browser/vendor "$$tmp/m" "$$tmp/a"; \
	tar -xzf "$$tmp/mermaid-$(MERMAID_VERSION).tgz" -C "$$tmp/m" package/dist/mermaid.min.js; \
	tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp/a" package/axe.min.js; \
	mv "$$tmp/m/package/dist/mermaid.min.js" docs/javascripts/vendor/mermaid.min.js; \
	mv "$$tmp/a/package/axe.min.js" tests/browser/vendor/axe.min.js; \
	rm -f docs/javascripts/vendor/.mermaid-*; touch $@; \
	echo "vendor: mermaid $(MERMAID_VERSION), axe-core $(AXE_VERSION)"
