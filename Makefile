# The course's commands. Each target is one or two commands; the work lives in the tools they call.
PYTHON ?= python3
VENV   := $(CURDIR)/.venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` by name when it creates a gradebook, so the venv must be on PATH.
export PATH := $(BIN):$(PATH)

# The nbgrader course folder: its config, source/, and the state grading generates.
COURSE ?= course
ASSIGNMENTS := $(notdir $(wildcard $(COURSE)/source/[0-9]*))
# `make release A=01_nn_basics` releases one assignment; plain `make release` releases all.
A ?= $(ASSIGNMENTS)
# Assignment ids that have work in $(COURSE)/<folder>/<student>/: grade and feedback skip the rest.
found_in = $(sort $(notdir $(wildcard $(COURSE)/$(1)/*/*)))

.PHONY: setup lab test test-fast check bench notebooks release collect grade regrade grading-time feedback grades lint format clean hub

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# JupyterLab on the course, with nbgrader's formgrader and Validate button; LAB_ARGS are passed on.
lab: setup
	cd $(COURSE) && $(BIN)/jupyter lab $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest

# The unit tests alone: seconds, for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow"

# One notebook's layers, after editing it: nbval, the grading round trip, its answer variants,
# the prose lint and the hidden-test guard. `make check A=01_nn_basics` (several ids work too).
check: setup
	HPCLEARN_ASSIGNMENTS="$(A)" $(BIN)/python -m pytest $(addprefix $(COURSE)/source/,$(A)) \
		tests/test_grading.py tests/test_variants.py tests/test_claims.py tests/test_hidden_tests.py

# Measure every performance claim of the course on this machine, against its targets: a report,
# JSON and plots in bench/results/<machine>/ (about 10 minutes on 2 cores). BENCH_ARGS are passed
# on, e.g. BENCH_ARGS="--only tf.data pruning".
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# Re-execute source notebooks in place, so their committed outputs are what nbval compares.
# `make notebooks A=00_hardware` runs one.
notebooks: setup
	for a in $(A); do $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=120 $(COURSE)/source/$$a/$$a.ipynb || exit 1; done

release: setup
	cd $(COURSE) && for a in $(A); do $(BIN)/nbgrader generate_assignment "$$a" --force || exit 1; done

# `make collect A=<id> FROM=<download> [PLATFORM=folder|canvas|moodle] [COLLECT_ARGS=...]`: files
# every hand-in of FROM (a folder or an archive) as $(COURSE)/submitted/<student>/<id>/, with its
# timestamp; the download is kept in $(COURSE)/downloaded/<id>/raw/. FROM/alice/<id>.ipynb or
# FROM/bob.zip by default; COLLECT_ARGS e.g. "--timestamps times.csv" (hpcterm.collect).
collect: setup
	$(if $(and $(FROM),$(filter 1,$(words $(A)))),,$(error usage: make collect A=<id> FROM=<folder> [PLATFORM=canvas|moodle]))
	$(BIN)/python -m hpcterm.collect $(A) $(abspath $(FROM)) --platform $(or $(PLATFORM),folder) \
		--course $(COURSE) $(COLLECT_ARGS)

# `make roster FILE=students.csv`: add or update the students of a CSV (nbgrader's columns, or a
# Canvas or Moodle export) in the gradebook; grading and exports then follow that list.
.PHONY: roster due extend
roster: setup
	$(if $(FILE),,$(error usage: make roster FILE=<students.csv>))
	$(BIN)/python -m hpcterm.roster import $(abspath $(FILE)) --course $(COURSE)

# `make due A=<id> AT=2027-02-01T23:59 [ZONE=Europe/Berlin]` sets a due date (AT=none removes it);
# `make extend A=<id> STUDENT=<id> HOURS=48` (or DAYS=2; 0 removes) gives one student more time.
due: setup
	$(if $(and $(AT),$(filter 1,$(words $(A)))),,$(error usage: make due A=<id> AT=<date>T<time> [ZONE=<zone>]))
	$(BIN)/python -m hpcterm.calendar due $(A) $(AT) --tz $(or $(ZONE),UTC) --course $(COURSE)

extend: setup
	$(if $(and $(STUDENT),$(filter 1,$(words $(A))),$(or $(HOURS),$(DAYS))),,$(error usage: make extend A=<id> STUDENT=<id> HOURS=<h>|DAYS=<d>))
	$(BIN)/python -m hpcterm.calendar extend $(A) $(STUDENT) --hours $(or $(HOURS),0) \
		--days $(or $(DAYS),0) --course $(COURSE)

# Autograde the collected submissions that changed since the last pass (hpcterm.grade), JOBS at a
# time; grades entered by hand are kept. `make grade [A=<id>] [STUDENT=<id>] [JOBS=2]` (or S=).
JOBS ?= 1
ONLY = $(addprefix --student ,$(or $(STUDENT),$(S)))
grade: setup
	$(if $(filter $(A),$(call found_in,submitted)),$(BIN)/python -m hpcterm.grade \
		$(filter $(A),$(call found_in,submitted)) $(ONLY) --jobs $(JOBS) --course $(COURSE))

# After fixing a test in the source: update the gradebook's copy, grade A (or one student) again,
# keep the hand grades of unchanged answers (hpcterm.regrade). `make regrade A=<id> [STUDENT=<id>]`.
regrade: setup
	$(if $(filter 1,$(words $(A))),,$(error usage: make regrade A=<id> [STUDENT=<id>] [JOBS=2]))
	$(BIN)/python -m hpcterm.regrade $(A) $(ONLY) --jobs $(JOBS) --course $(COURSE)

# Seconds to grade one submission of every notebook on this machine (about half an hour; not part
# of `make test`), into $(COURSE)/autograded/.grading/grading-time.json. `make grading-time [A=<id>]`.
grading-time: setup
	mkdir -p $(COURSE)/autograded/.grading
	$(BIN)/python -m hpcterm.grade_timing --out $(COURSE)/autograded/.grading/grading-time.json \
		--assignments $(A) \
		--parallel 00_hardware 01_nn_basics --course $(COURSE)

# One HTML page per student and notebook, in $(COURSE)/feedback/<student>/<id>/.
feedback: setup
	cd $(COURSE) && for a in $(filter $(A),$(call found_in,autograded)); do \
		$(BIN)/nbgrader generate_feedback "$$a" --force || exit 1; done

# Every enrolled student's score on every assignment (0 for no hand-in) into $(COURSE)/grades.csv
# (nbgrader's columns) or, with PLATFORM=canvas|moodle|csv, $(COURSE)/grades-canvas.csv,
# grades-moodle.csv or grades-wide.csv for that platform's import. Refuses while answers wait for a hand grade (hpcterm.export;
# EXPORT_ARGS=--allow-pending exports them blank).
grades: setup
	$(BIN)/python -m hpcterm.export --platform $(or $(PLATFORM),nbgrader) --course $(COURSE) $(EXPORT_ARGS)

lint: setup
	$(BIN)/ruff check hpclearn hpcterm bench tests course/source
	$(BIN)/ruff format --check hpclearn hpcterm bench tests

format: setup
	$(BIN)/ruff format hpclearn hpcterm bench tests
	$(BIN)/ruff check --fix hpclearn hpcterm bench tests

# Deletes only what the commands make again in seconds (the released notebooks, feedback pages,
# TA solutions, reports, grade exports); never the gradebook, a submission or a download.
clean:
	cd $(COURSE) && rm -rf release feedback solution reports grades*.csv

# The term's safety net. `make backup [TO=folder]`: an online copy of the gradebook and an archive
# of submitted/, downloaded/, autograded/ and roster.csv, checksummed, into TO/<time>/ (default
# $(COURSE)/backups). `make restore FROM=<backup> CONFIRM=yes` puts one back (the current state
# is backed up first). `make clean-term CONFIRM=yes` backs up, then deletes the term's state too.
.PHONY: backup restore clean-term stats solutions term-init similarity
backup: setup
	$(BIN)/python -m hpcterm.backup create --course $(COURSE) $(if $(TO),--to $(TO))

restore: setup
	$(if $(FROM),,$(error usage: make restore FROM=<backup folder> CONFIRM=yes))
	$(BIN)/python -m hpcterm.backup restore $(FROM) --course $(COURSE) $(if $(filter yes,$(CONFIRM)),--yes)

clean-term: setup
	$(BIN)/python -m hpcterm.backup clean-term --course $(COURSE) $(if $(filter yes,$(CONFIRM)),--yes)

# `make solutions A=<id>`: nbgrader's solutions notebook and a rubric (every graded cell: points,
# task, test or model answer) for teaching assistants, in $(COURSE)/solution/<id>/ (never released).
solutions: setup
	$(if $(filter 1,$(words $(A))),,$(error usage: make solutions A=<id>))
	$(BIN)/python -m hpcterm.solutions $(A) --course $(COURSE)

# `make similarity A=<id>`: every pair of submissions' answer code compared (copydetect), with
# the public solution as a participant and the released stubs not counted: a report to read in
# $(COURSE)/reports/<id>/similarity.html (and .csv), never a grade.
similarity: setup
	$(if $(filter 1,$(words $(A))),,$(error usage: make similarity A=<id>))
	$(BIN)/python -m hpcterm.similarity $(A) --course $(COURSE)

# `make term-init DIR=<folder outside the checkout>`: a course folder for the term's state (the
# gradebook, hand-ins, grading), whose config loads $(COURSE)/nbgrader_config.py and whose source/
# links to $(COURSE)/source; then run every instructor target with COURSE=<folder>.
term-init: setup
	$(if $(DIR),,$(error usage: make term-init DIR=<folder outside the checkout>))
	$(BIN)/python -m hpcterm.state init $(DIR) --checkout-course $(abspath $(COURSE))

# `make stats A=<id>`: pass rate, mean and median of every graded cell and the score histogram,
# from the gradebook: a table on screen, CSVs and a plot in $(COURSE)/reports/<id>/.
stats: setup
	$(if $(filter 1,$(words $(A))),,$(error usage: make stats A=<id>))
	$(BIN)/python -m hpcterm.stats $(A) --course $(COURSE)

# The student's path. `make student` builds (or brings up to date) a workspace of released
# notebooks in $(WORKSPACE), made from $(COURSE)/source where there is one, else taken from
# $(COURSE)/release; it never overwrites a student's work. Then JupyterLab opens it with
# nbgrader's student tools only (LAB_ARGS are passed on).
WORKSPACE ?= workspace
.PHONY: student self-check publish
student: setup
	$(BIN)/python -m hpclearn.student workspace $(WORKSPACE) --course $(COURSE)
	$(BIN)/python -m hpclearn.student lab $(WORKSPACE) $(LAB_ARGS)

# `make self-check A=<id>`: your notebook's visible tests, run as the Validate button runs them;
# HIDDEN=1 grades it with the course's hidden tests too (and so tells you their verdicts).
self-check: setup
	$(if $(filter 1,$(words $(A))),,$(error usage: make self-check A=<id> [HIDDEN=1]))
	$(BIN)/python -m hpclearn.student check $(WORKSPACE)/$(A)/$(A).ipynb $(if $(HIDDEN),--hidden --course $(COURSE))

# `make publish DEST=<folder>`: the student edition (released notebooks, hpclearn, the set-up
# files and the student targets; nothing of $(COURSE)/source, no gradebook, no instructor target).
publish: setup
	$(if $(DEST),,$(error usage: make publish DEST=<folder>))
	$(BIN)/python course/publish.py $(DEST) --course $(COURSE)

# `make hub INSTRUCTOR=prof STUDENTS="ana ben"` (as root): the course on a shared machine. A
# JupyterHub in HUB_ROOT with its own environment (from the system's python3) and proxy (from
# npm), nbgrader's exchange, the formgrader for the instructor (on a copy of $(COURSE) in
# ~prof/hpclearn-course) and the Assignments tab for students; they log in with their local
# accounts' passwords at http://HUB_IP:HUB_PORT. HUB_ARGS are passed on to course/hub/setup.py
# (e.g. --packages ... to install something other than the course).
HUB_ROOT ?= /srv/hpclearn-hub
HUB_IP   ?= 127.0.0.1
HUB_PORT ?= 8000
hub:
	$(if $(and $(INSTRUCTOR),$(STUDENTS)),,$(error usage: make hub INSTRUCTOR=<account> STUDENTS="<account> ..."))
	/usr/bin/python3 course/hub/setup.py $(HUB_ROOT) --course $(COURSE) --instructor $(INSTRUCTOR) \
		--students $(STUDENTS) --ip $(HUB_IP) --port $(HUB_PORT) $(HUB_ARGS)
	cd $(HUB_ROOT)/state && HPCLEARN_HUB_ROOT=$(HUB_ROOT) exec $(HUB_ROOT)/venv/bin/jupyterhub \
		-f $(CURDIR)/course/hub/jupyterhub_config.py
