"""Talon as it really behaves (../shared/TALON_FACTS.md): the user's own settings while
dictating, stop words at the end of an utterance, phrases without audio, the hotkey held,
reloads of any file at any moment, and exit."""

import sys
import threading
import time
from pathlib import Path

import numpy as np
REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _talon_blocks(markdown: str, header: str):
    """The README's ```-fenced .talon examples whose first line is `header`."""
    blocks = markdown.split("```")[1::2]
    return [block.strip("\n") + "\n" for block in blocks if block.strip().startswith(header)]


# -- the user's own settings -------------------------------------------------------------------

def test_settings_from_the_users_own_file_hold_for_the_whole_dictation(talon, phrases, story):
    """A header-less settings file (community's style) applies in command mode only: the plugin
    reads it when dictation starts and keeps it; no model is loaded because a mode changed."""
    from superwhisper2.engine import models

    sim = talon(settings={"user.whisper_language": "en"})  # the fixture writes a header-less user file
    story.ready(sim)
    loads, model = models.load_count(), story.session().keeper.model
    sim.press(story.hotkey)
    assert sim.setting("user.whisper_language") == "fr"  # Talon: the user's file is off while dictating
    sim.speak(phrases["quilter_en.wav"])
    story.typed(sim, 1)
    time.sleep(2.5)  # the settings poll runs every 2 s
    sim.speak(phrases["quilter_en.wav"])
    story.typed(sim, 2)
    sim.press(story.hotkey)
    assert [entry["language"] for entry in story.records()] == ["en", "en"]
    assert story.pieces()[-1].lower().count("quilter") == 1
    assert models.load_count() == loads and story.session().keeper.model is model
    assert sim.errors == [] and sim.violations == []


def test_the_readmes_per_application_example_applies_while_dictating_in_that_application(talon, phrases, story):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    examples = _talon_blocks(readme, "app.exe: code.exe")
    assert examples, "the README's per-application example"
    sim = talon(app_exe="code.exe")
    sim.add_user_file("per_app_language.talon", examples[0])  # as written in the README
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    story.typed(sim, 1)
    sim.press(story.hotkey)
    assert story.records()[-1]["language"] == "en" and "quilter" in story.pieces()[-1].lower()
    sim.app_exe = "thunderbird.exe"  # elsewhere, the default (French) applies again
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    story.typed(sim, 2)
    sim.press(story.hotkey)
    assert story.records()[-1]["language"] == "fr"


def test_settings_do_not_depend_on_which_of_two_equal_files_talon_prefers(talon, phrases, story):
    """settings.talon sets nothing, so a tie between it and the user's file cannot happen."""
    for tie in ("first", "last"):
        sim = talon(setting_tie=tie, settings={"user.whisper_language": "en"}, start=False)
        sim.set_setting("user.whisper_overlay", 0, header="mode: all")
        sim.start()
        story.ready(sim)
        assert sim.setting("user.whisper_language") == "en", tie
        story.end(sim)


# -- stop words said at the end of an utterance --------------------------------------------------

def _sentence_then_stop(phrases):
    sentence, stop = phrases["quilter_en.wav"], DATA / "whisper_stop.wav"
    from superwhisper2.engine.audio import load_audio

    stop_audio = load_audio(stop)
    audio = np.concatenate([sentence, stop_audio])
    words = "mister quilter is the apostle of the middle classes whisper stop".split()
    seconds = sentence.size / 16_000
    step = seconds / (len(words) - 2)
    times = [(i * step, (i + 1) * step) for i in range(len(words) - 2)] + [(seconds + 0.3, seconds + 0.9),
                                                                            (seconds + 0.9, seconds + 1.5)]
    return audio, " ".join(words), times


def test_whisper_stop_at_the_end_of_an_utterance_types_the_words_before_and_stops(talon, phrases, story):
    for chain in (True, False):  # Talon runs <phrase> then `whisper stop`, or one <phrase>
        sim = talon(chain_commands=chain, settings={"user.whisper_language": "en"})
        story.ready(sim)
        sim.press(story.hotkey)
        audio, words, times = _sentence_then_stop(phrases)
        sim.speak(audio, words=words, word_times=times)
        assert sim.wait_until(lambda: "user.whisper" not in sim.modes, 10), chain  # stopped at once
        story.typed(sim, 1)
        text = sim.document.lower()
        assert "quilter" in text and "whisper" not in text and "stop" not in text, (chain, sim.document)
        assert sim.modes == {"command"} and not story.session().listening
        assert sim.errors == [] and sim.violations == [], sim.log
        story.end(sim)


def test_whisper_cancel_at_the_end_of_an_utterance_drops_it_and_stops(talon, phrases, story):
    sim = talon(chain_commands=True, settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"], words="mister quilter is the apostle whisper cancel")
    assert sim.wait_until(lambda: sim.modes == {"command"}, 10)
    sim.settle(quiet=1.0)
    assert sim.typed == []


def test_a_command_whisper_heard_at_the_end_of_a_phrase_is_not_typed():
    from superwhisper2.interpret import command_at_end, interpret

    assert command_at_end("Et voilà, whisper stop.") == ("Et voilà", "stop")
    assert command_at_end("Whisper cancel") == ("", "cancel")
    assert command_at_end("Whisper stop !") == ("", "stop")
    assert command_at_end("I whisper to stop") == ("I whisper to stop", None)
    meaning = interpret("C'est tout. Whisper stop.", {}, True)
    assert (meaning.text, meaning.command) == ("C'est tout.", "stop")


# -- phrases without audio -----------------------------------------------------------------------

def test_a_phrase_without_audio_is_skipped_and_nothing_is_typed_twice(talon, phrases, story):
    from talon_sim import cubeb_module

    microphone = np.concatenate([np.zeros(8_000, np.float32), phrases["quilter_en.wav"]])
    sim = talon(cubeb=cubeb_module(microphone), settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(None, words="cough")  # Talon attached no samples to this one
    sim.speak(phrases["quilter_en.wav"])
    sim.speak(phrases["quilter_en.wav"])
    story.typed(sim, 2)
    sim.settle(quiet=1.5)  # the microphone would have heard Quilter again by now
    assert sim.cubeb.streams == []  # never two sources
    assert sim.document.lower().count("quilter") == 2 and story.done() == 2
    assert "user.whisper" in sim.modes


def test_without_a_microphone_stream_one_phrase_without_audio_does_not_end_dictation(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})  # no talon.lib.cubeb at all
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(None, words="cough")
    sim.speak(phrases["quilter_en.wav"])
    assert "quilter" in story.typed(sim, 1).lower()
    assert "user.whisper" in sim.modes and sim.notifications == []


# -- the hotkey's keys held ---------------------------------------------------------------------

def test_the_hotkey_toggles_when_it_goes_down_and_a_late_release_toggles_nothing(talon, story):
    sim = talon()
    story.ready(sim)
    sim.call_on_main(lambda: sim.run_actions([("user.whisper_hotkey_down", [])]))  # down, and no :up yet
    assert "user.whisper" in sim.modes  # command mode is off before the first word
    sim.call_on_main(lambda: sim.run_actions([("user.whisper_hotkey_up", [])]))  # the release, very late
    sim.settle()
    assert "user.whisper" in sim.modes  # not toggled twice


# -- reloads -------------------------------------------------------------------------------------

def _workers():
    return [t for t in threading.enumerate() if t.name == "superwhisper2-worker"]


def test_reloading_any_file_mid_dictation_keeps_one_session_worker_hook_model_and_the_text(talon, phrases, story):
    from superwhisper2.engine import models

    files = ["runtime.py", "session.py", "typist.py", "capture.py", "recognise.py", "interpret.py", "loader.py",
             "plugin.py", "status.py", "microphone.py", "engine/models.py"]
    for in_place in (False, True):  # siblings see the reloaded module, or keep the old one
        sim = talon(reload_in_place=in_place, settings={"user.whisper_language": "en"})
        story.ready(sim)
        loads, session = models.load_count(), story.session()
        sim.press(story.hotkey)
        for index, name in enumerate(files):
            sim.speak(phrases["quilter_en.wav"])
            sim.reload("superwhisper2/superwhisper2/" + name)  # while the phrase is in flight
            story.typed(sim, index + 1)
        sim.press(story.hotkey)
        assert story.session() is session and type(session).__name__ == "Session"
        assert sim.document.lower().count("quilter") == len(files), sim.document
        assert all(piece.lower().count("quilter") == 1 for piece in story.pieces()), story.pieces()
        assert models.load_count() == loads and len(_workers()) == 1
        assert len(sim.speech_callbacks["pre:phrase"]) == 1
        assert sim.errors == [] and sim.violations == [], sim.log
        story.end(sim)


# -- exit ----------------------------------------------------------------------------------------

def test_talon_exits_promptly_during_a_transcription_and_during_a_model_load(talon, phrases, story):
    from superwhisper2.engine import models

    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    long = np.concatenate([phrases["jfk_en.flac"]] * 2)
    sim.speak(long)
    assert sim.wait_until(lambda: story.session().pipeline.processing, 30)
    registry = models._holder()
    loading = threading.Event()

    def download() -> None:  # a model download holding the registry for a long time
        with registry.lock:
            loading.set()
            time.sleep(3)

    threading.Thread(target=download, daemon=True).start()
    loading.wait(5)
    started = time.monotonic()
    sim.exit()  # Talon runs what the plugin gave atexit
    assert time.monotonic() - started < 2.0
    assert story.holder().exiting.is_set()


# -- Windows -------------------------------------------------------------------------------------

def test_whisper_history_reads_only_the_end_of_a_large_history_file(tmp_path):
    sys.path.insert(0, str(REPO))
    from superwhisper2.history import TAIL_BYTES, History

    history = History(str(tmp_path / "history.jsonl"), max_bytes=10**9)
    Path(history.path).write_text("{cut by a crash long ago\n", encoding="utf-8")  # never read again
    for index in range(40_000):
        history.append({"text": f"phrase {index}"})
    assert Path(history.path).stat().st_size > 30 * TAIL_BYTES
    assert [record["text"] for record in history.last(3)] == ["phrase 39997", "phrase 39998", "phrase 39999"]


def test_gpu_memory_query_opens_no_console_window_on_windows(monkeypatch):
    from superwhisper2.engine import models

    seen = {}

    def run(command, **kwargs):
        seen.update(kwargs)
        raise OSError("no GPU here")

    assert models.gpu_memory_mb(run=run) is None
    assert "creationflags" in seen  # CREATE_NO_WINDOW on Windows, 0 elsewhere


def test_every_settings_example_in_the_readme_is_read_by_talon_as_written(tmp_path):
    from talon_sim import parse_talon_file

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    examples = [block for block in _talon_blocks(readme, "") if "settings():" in block]
    assert len(examples) >= 3
    for index, text in enumerate(examples):
        path = tmp_path / f"example{index}.talon"
        path.write_text(text, encoding="utf-8")
        parsed = parse_talon_file(str(path))  # raises on anything Talon would not parse
        assert parsed.settings and all(name.startswith("user.whisper_") for name in parsed.settings), text
        from superwhisper2.options import SETTINGS

        assert set(parsed.settings) <= {f"user.{name}" for name in SETTINGS}, text
