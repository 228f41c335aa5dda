# The course's commands. The first two are the quickstart: `make lab`, `make test`.
# Each target creates .venv and installs what it needs on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 5000
LAB_PORT ?= 8888
LAB_ARGS ?=
QUIZ ?=
SUBMISSIONS ?=
GRADE_ARGS ?=
# Jupyter refuses to run as root (containers, CI) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
EXCHANGE := .exchange

export NO_MKDOCS_2_WARNING := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install install-lab system-packages grading-packages lab test lint unit endpoint bench clean release grade feedback export

help:
	@echo "make lab       start JupyterLab on the course (creates .venv and installs first)"
	@echo "make test      install, then run every check (lint + tests)"
	@echo "make endpoint  local AWS endpoint for CLI labs on 127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make bench     run the benchmark scripts and print their figures"
	@echo "make exercises  run every lesson with its reference answers filled in (one line each)"
	@echo "make release   generate the release (learner) version of every quiz in quizzes/source"
	@echo "make grade QUIZ=<quiz> SUBMISSIONS=<folder or .zip>"
	@echo "               grade a bulk download: feedback, grades CSV, summary (see INSTRUCTORS.md)"
	@echo "make feedback QUIZ=<quiz>  regenerate feedback after manual grading"
	@echo "make export QUIZ=<quiz>    write the quiz's grades to quizzes/exports/<quiz>_grades.csv"
	@echo "make clean     remove generated files (keeps .venv)"

# Two environments in one .venv: the learner's (`make lab`: the course and JupyterLab) and the
# developer's (`make test`: also the site and test tools). tools/install_environment.sh
# installs with uv when it can (seconds), else pip.
$(LAB_STAMP): pyproject.toml tools/install_environment.sh tools/install_excludes.txt
	@bash tools/install_environment.sh $(VENV) course
	@touch $(LAB_STAMP)

$(STAMP): pyproject.toml tools/install_environment.sh tools/install_excludes.txt
	@KINESIS_COMPILE_BYTECODE=1 bash tools/install_environment.sh $(VENV) course,site,dev
	@touch $(STAMP) $(LAB_STAMP)

install: $(STAMP)

install-lab: $(LAB_STAMP)

$(EXCHANGE):
	@mkdir -p $(EXCHANGE) && chmod 777 $(EXCHANGE)

# Offline by default: no news feed and no update check (JupyterLab fetches both otherwise).
LAB_OFFLINE := --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

lab: install-lab $(EXCHANGE)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(LAB_PORT) $(LAB_OFFLINE) \
		$(ROOT_FLAG) $(LAB_ARGS) notebooks/00_orientation.ipynb

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Debian packages: everything the suite uses for `make test`; the grading jail for `make grade`.
system-packages:
	@bash tools/ensure_system_packages.sh

grading-packages:
	@bash tools/ensure_system_packages.sh grading

# Bytecode is written even where PYTHONDONTWRITEBYTECODE=1 is set (CI images): otherwise each of the
# four workers compiled and assert-rewrote every test module and tools/ module again (about 4 s
# of CPU each; the installed packages and the toolkit are compiled by the install).
unit: install system-packages $(EXCHANGE)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 4 --dist loadgroup --no-loadscope-reorder

# The Python environment and the Debian packages install side by side first (on a fresh machine
# both mostly wait on downloads), then the checks run.
test:
	@$(MAKE) --no-print-directory -j2 install system-packages $(EXCHANGE)
	@$(MAKE) --no-print-directory lint unit

endpoint: install-lab
	$(BIN)/kinesis-lab endpoint --port $(PORT)

bench: install
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Every "Your turn" cell with its reference answer (tests/exercise_answers/): checks must pass.
.PHONY: exercises
exercises: install
	$(BIN)/python tools/run_exercises.py

release: install-lab $(EXCHANGE)
	$(BIN)/python -m kinesis_grader release

grade: install-lab grading-packages $(EXCHANGE)
	$(BIN)/python -m kinesis_grader grade "$(QUIZ)" "$(SUBMISSIONS)" $(GRADE_ARGS)

feedback: install-lab
	$(BIN)/python -m kinesis_grader feedback "$(QUIZ)"

export: install-lab
	$(BIN)/python -m kinesis_grader export "$(QUIZ)"

# --- course site (issue 7): build strictly into build/site, or preview with live reload ------
SITE_PORT ?= 8000
.PHONY: site serve-site help-site
help: help-site
help-site:
	@echo "make site      build the course website into build/site (strict; executes the lessons)"
	@echo "make serve-site  preview the website on http://127.0.0.1:$(SITE_PORT) (SITE_PORT=... to change)"

site: install
	$(BIN)/mkdocs build --strict

serve-site: install
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:$(SITE_PORT)

clean:
	rm -rf build .pytest_cache .ruff_cache $(EXCHANGE) quizzes/release quizzes/submitted \
		quizzes/autograded quizzes/feedback quizzes/gradebook.db quizzes/grading quizzes/exports
