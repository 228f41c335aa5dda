# The course's commands. The first two are the quickstart: `make lab`, `make test`.
# Each target creates .venv and installs what it needs on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 5000
LAB_PORT ?= 8888
LAB_ARGS ?=
# Jupyter refuses to run as root (containers, CI) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXCHANGE := .exchange

export NO_MKDOCS_2_WARNING := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install lab test lint unit endpoint bench clean

help:
	@echo "make lab       start JupyterLab on the course (creates .venv and installs first)"
	@echo "make test      install, then run every check (lint + tests)"
	@echo "make endpoint  local AWS endpoint for CLI labs on 127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make bench     run the benchmark scripts and print their figures"
	@echo "make clean     remove generated files (keeps .venv)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course,site,dev]"
	@touch $(STAMP)

install: $(STAMP)

$(EXCHANGE):
	@mkdir -p $(EXCHANGE) && chmod 777 $(EXCHANGE)

# Offline by default: no news feed and no update check (JupyterLab fetches both otherwise).
LAB_OFFLINE := --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

lab: install $(EXCHANGE)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(LAB_PORT) $(LAB_OFFLINE) \
		$(ROOT_FLAG) $(LAB_ARGS) notebooks/00_orientation.ipynb

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: install $(EXCHANGE)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: lint unit

endpoint: install
	$(BIN)/kinesis-lab endpoint --port $(PORT)

bench: install
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf build .pytest_cache .ruff_cache $(EXCHANGE) quizzes/release quizzes/submitted \
		quizzes/autograded quizzes/feedback quizzes/gradebook.db
