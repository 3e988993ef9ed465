# The two commands a fresh machine needs: `make serve` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
MKDOCS_ADDR ?= 127.0.0.1:8000

.PHONY: install runtime serve test lint site labs up down clean

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

# Executes the labs against the running lab cluster; the site renders their outputs.
labs: up
	KAFKA_BOOTSTRAP_SERVERS=$$($(BIN)/kafkalab bootstrap) $(BIN)/pytest -q -p no:cacheprovider tests/labs

serve: labs
	@echo "Lab cluster: export KAFKA_BOOTSTRAP_SERVERS=$$($(BIN)/kafkalab bootstrap)  (stop it with: make down)"
	$(BIN)/mkdocs serve --dev-addr $(MKDOCS_ADDR)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

site: runtime
	$(BIN)/mkdocs build --strict

test: runtime lint
	$(BIN)/pytest

clean: down
	rm -rf $(VENV) site
