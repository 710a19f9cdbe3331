# The course's commands. Each target is one or two commands; the work lives in the tools they call.
PYTHON ?= python3
VENV   := $(CURDIR)/.venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` by name when it creates a gradebook, so the venv must be on PATH.
export PATH := $(BIN):$(PATH)

ASSIGNMENTS := $(notdir $(wildcard course/source/[0-9]*))
# `make release A=01_nn_basics` releases one assignment; plain `make release` releases all.
A ?= $(ASSIGNMENTS)

.PHONY: setup lab test test-fast notebooks release lint format clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

lab: setup
	cd course && $(BIN)/jupyter lab

test: setup
	$(BIN)/python -m pytest

# The unit tests alone: seconds, for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow"

# Re-execute source notebooks in place, so their committed outputs are what nbval compares.
# `make notebooks A=00_hardware` runs one.
notebooks: setup
	for a in $(A); do $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=120 course/source/$$a/$$a.ipynb || exit 1; done

release: setup
	cd course && for a in $(A); do $(BIN)/nbgrader generate_assignment "$$a" --force || exit 1; done

lint: setup
	$(BIN)/ruff check hpclearn tests course/source
	$(BIN)/ruff format --check hpclearn tests

format: setup
	$(BIN)/ruff format hpclearn tests
	$(BIN)/ruff check --fix hpclearn tests

clean:
	rm -rf course/release course/submitted course/autograded course/feedback course/gradebook.db
