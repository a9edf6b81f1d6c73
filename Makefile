# bold-assets: two commands do everything on a fresh machine with Python 3.11.
#   make run    install, then materialise every wave-0 asset into data/bold.duckdb
#   make test   install, then run the test suite (two workers; the browser test needs chromium,
#               the Spark tests Java 17)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install run test ui lint bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $@

install: $(BIN)/.installed

run: install
	@mkdir -p $(DAGSTER_HOME)
	@$(BIN)/bold materialize

ui: install
	$(BIN)/python -m bold_assets.instance
	$(BIN)/dagster dev -w workspace.yaml

test: install
	@mkdir -p $(DAGSTER_HOME)
	@command -v chromium >/dev/null || echo "make test: chromium not found, so the browser test \
	is skipped (install it: apt-get install -y chromium)"
	@command -v java >/dev/null || [ -n "$$JAVA_HOME" ] || echo "make test: java not found, so \
	the Spark tests are skipped (install it: apt-get install -y openjdk-17-jre-headless)"
	$(BIN)/pytest -n auto --dist loadgroup

lint: install
	$(BIN)/ruff check bold_assets tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_world.py
