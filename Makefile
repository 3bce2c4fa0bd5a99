# AURA: every task goes through the project venv (.venv), which is created on first use.
# `make help` lists the targets.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/default.yaml

.DEFAULT_GOAL := help
.PHONY: help venv lock run smoke test lab serve bench notebooks clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml or constraints.txt changed since the last install. The
# constraints hold every package, dependencies' dependencies included, to the locked version.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -c constraints.txt -e ".[test]"
	touch $(STAMP)

venv: $(STAMP) ## Create .venv (Python 3.11) and install the project with test tools

# A scratch venv resolves pyproject.toml's pins afresh (without the old lock), and its versions,
# local labels such as +cpu left out, become constraints.txt below the file's own header: every
# package but pip, setuptools included (torch requires it, so pip would take the newest).
LOCK_VENV := .lock-venv
lock: ## Resolve pyproject.toml's pins again and write every version to constraints.txt
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q -e ".[test]"
	{ sed -n '/^#/p' constraints.txt; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable \
	    | sed '/^pip==/d; s/+[^+]*$$//'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf $(LOCK_VENV)

run: venv ## Run every notebook at full scale (params/default.yaml) into reports/runs/
	$(BIN)/aura run --params $(PARAMS)

smoke: venv ## Run every notebook at CI scale (params/smoke.yaml), in minutes
	$(BIN)/aura run --params params/smoke.yaml

# Two pytest workers, each test file on one of them (the nbval chain runs 01..06 in its own
# process). One thread per OpenMP and BLAS pool: the workers fill the two cores, and a pool of
# two threads in each spins on the core the other holds (the suite took twice as long).
test: venv ## Lint, then run the tests (unit, integration, API, nbval over notebooks/)
	$(BIN)/ruff check $(wildcard aura tests benchmarks notebooks)
	$(BIN)/ruff format --check $(wildcard aura tests benchmarks notebooks)
	OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadfile

# Jupyter refuses to run as root without --allow-root (containers often run as root).
lab: venv ## Open JupyterLab on notebooks/ with aura importable
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

serve: venv ## Serve the prediction API over artifacts/
	$(BIN)/aura serve

# Every benchmark runs even if one fails (the API's needs wrk and artifacts/, the Lambda
# handler's artifacts/); the failed ones are named at the end and make the target fail.
bench: venv ## Run benchmarks/bench_*.py (results land in reports/bench/)
	@failed=""; for f in benchmarks/bench_*.py; do \
		echo "== $$f"; $(BIN)/python "$$f" || failed="$$failed $$f"; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

notebooks: venv ## Re-execute the notebooks and re-record their '# summary' cell outputs
	$(BIN)/aura notebooks record

clean: ## Remove caches and scratch outputs (keeps data/default, models/default, artifacts, reports)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis
	rm -rf data/nbval data/smoke models/nbval models/smoke artifacts-nbval artifacts-smoke
