# Two entry points that work on a fresh machine with Python 3.11:
#   make demo   build the release, grade a sample class, print the table and report
#   make test   the whole test suite
# Each creates (once) and reuses a virtual environment in .venv/.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint build bench lab clean

# PyTorch first, pinned: this version is the CPU build on the course machines, and
# the project's own `torch>=...` range then asks for nothing more (a bare `torch`
# would pull a multi-GB CUDA build).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/autograder demo

# Two pytest workers; each assignment's sample class (and the attack suite) stays on one
# worker, graded once (--dist loadgroup). The ten slowest tests are listed at the end.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=10

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

build: $(STAMP)
	$(BIN)/autograder build

bench: $(STAMP)
	for script in benchmarks/*.py; do [ $$script = benchmarks/common.py ] || $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) gradebook.db submitted autograded feedback reports

# JupyterLab with nbgrader's extensions on, as jupyter_config/ asks: the Validate button in
# the notebook toolbar for students; the Nbgrader menu (formgrader) for instructors.
lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter_config $(BIN)/jupyter lab
