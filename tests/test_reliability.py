"""Faults, bad input and load: Talon keeps running, the next phrase works, no dictation is lost."""

import sys
import time
from pathlib import Path

import numpy as np
DATA = Path(__file__).resolve().parent / "data"


# -- model problems ------------------------------------------------------------------------------


def test_a_missing_model_folder_is_named_the_plugin_stays_usable_and_retries_when_fixed(talon, tmp_path, base_model_dir,
                                                                                      phrases, story):
    missing = tmp_path / "no-model-here"
    sim = talon(settings={"user.whisper_model": str(missing)})
    assert sim.wait_until(lambda: sim.notifications, 30)
    body = sim.notifications[-1]["body"]
    assert str(missing) in body and "user.whisper_model" in body
    assert story.session().status.state == "error" and sim.errors == []
    time.sleep(2.5)  # the settings poll does not hammer a model that failed
    assert len(sim.notifications) == 1
    sim.press(story.hotkey)  # the hotkey still works: listening, and it retries the load
    assert sim.modes == {"user.whisper"}
    assert sim.wait_until(lambda: len(sim.notifications) == 2, 30)
    sim.speak(phrases["consulat_fr.wav"])  # kept while there is no model
    sim.set_setting("user.whisper_model", str(base_model_dir))  # the user fixes the setting in their file...
    sim.press(story.hotkey)  # ...which Talon applies in command mode: the model loads, the phrase is typed
    assert "consulat" in story.typed(sim)


def test_unknown_model_name_invalid_device_and_compute_type_name_the_setting_value_and_choices(talon, story):
    cases = [
        ({"user.whisper_model": "huge-v9"}, ["huge-v9", "large-v3-turbo", "user.whisper_model"]),
        ({"user.whisper_device": "tpu"}, ["user.whisper_device", "'tpu'", "cuda"]),
        ({"user.whisper_compute_type": "float8"}, ["user.whisper_compute_type", "'float8'", "int8"]),
    ]
    for settings, words in cases:
        sim = talon(settings=settings)
        assert sim.wait_until(lambda: sim.notifications, 30), settings
        body = sim.notifications[-1]["body"]
        assert all(word in body for word in words), body
        assert sim.errors == [] and story.session().status.state == "error"
        story.end(sim)


def test_an_empty_or_corrupt_model_folder_is_named(talon, tmp_path, tiny_model_dir, story):
    import shutil

    empty = tmp_path / "empty-model"
    empty.mkdir()
    corrupt = tmp_path / "corrupt-model"
    shutil.copytree(tiny_model_dir, corrupt)
    (corrupt / "model.bin").write_bytes(b"\0" * 1024)
    for folder in (empty, corrupt):
        sim = talon(settings={"user.whisper_model": str(folder)})
        assert sim.wait_until(lambda: sim.notifications, 30)
        assert str(folder) in sim.notifications[-1]["body"]
        story.end(sim)


# -- CUDA problems -------------------------------------------------------------------------------


def test_cuda_failing_mid_session_falls_back_to_the_cpu_once_and_keeps_the_phrase(talon, tiny_model_dir, phrases, story):
    sim = talon(settings={"user.whisper_cpu_fallback_model": str(tiny_model_dir), "user.whisper_language": "en"})
    story.ready(sim)
    model = story.session().keeper.model
    model.device = "cuda"  # make the engine's device fail, as the issue asks
    from conftest import BrokenDevice

    model.whisper.model = BrokenDevice(model.whisper.model)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    assert "quilter" in story.typed(sim).lower()  # the phrase in flight was kept and typed by the CPU model
    assert Path(story.session().keeper.model.path) == tiny_model_dir and story.session().keeper.model.device == "cpu"
    sim.speak(phrases["quilter_en.wav"])
    story.typed(sim, 2)
    told = [n for n in sim.notifications if "CPU" in n["title"]]
    assert len(told) == 1 and "CUDA failed" in told[0]["body"]
    time.sleep(2.5)  # the settings poll does not go back to the broken device
    assert story.session().keeper.model.device == "cpu"


def test_cuda_failing_at_load_uses_the_cpu_fallback_and_says_so(talon, tiny_model_dir, phrases, story):
    """No CUDA on this machine: asking for it fails at load exactly as a broken set-up does."""
    sim = talon(settings={"user.whisper_device": "cuda", "user.whisper_cpu_fallback_model": str(tiny_model_dir),
                          "user.whisper_language": "en"})
    story.ready(sim)
    assert sim.wait_until(lambda: any("CPU" in n["title"] for n in sim.notifications), 10)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    assert "quilter" in story.typed(sim).lower()


# -- phrases that break the engine ---------------------------------------------------------------

BAD_PHRASES = {
    "NaN": (np.full(16_000, np.nan, dtype=np.float32), "NaN"),
    "inf": (np.concatenate([np.zeros(8000, np.float32), [np.inf]]).astype(np.float32), "infinite"),
    "3-D": (np.zeros((2, 2, 4000), dtype=np.float32), "shape"),
    "strings": (np.array(["a", "b"]), "numbers"),
    "too long": (np.zeros(16_000 * 12, dtype=np.float32), "over the limit"),
}


def test_each_breaking_phrase_is_logged_kept_for_retry_and_the_next_phrase_works(talon, phrases, caplog, story):
    import logging

    caplog.set_level(logging.INFO, logger="superwhisper2")
    sim = talon(settings={"user.whisper_language": "en", "user.whisper_max_phrase": 10.0})
    story.ready(sim)
    sim.press(story.hotkey)
    typed = 0
    for name, (samples, words) in BAD_PHRASES.items():
        failed = len(story.session().pipeline.kept)
        sim.speak(samples)
        assert sim.wait_until(lambda: len(story.session().pipeline.kept) > failed, 30), name
        assert words in story.session().pipeline.kept[-1].reason, (name, story.session().pipeline.kept[-1].reason)
        sim.speak(phrases["quilter_en.wav"])
        typed += 1
        story.typed(sim, story.done() + 1)
        assert "quilter" in story.pieces()[-1].lower(), name  # the next phrase works
    assert len(story.pieces()) == typed == len(BAD_PHRASES)
    assert "kept for `whisper retry`" in caplog.text
    assert sim.errors == []


def test_a_phrase_with_an_empty_buffer_is_nothing_heard_not_a_failure(talon, phrases, story):
    """No samples in the buffer is no audio, as a phrase without samples is (TALON_FACTS): nothing to
    retry, nothing to tell the user."""
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(np.zeros(0, dtype=np.float32))
    sim.speak(phrases["quilter_en.wav"])
    assert "quilter" in story.typed(sim, 1).lower()
    assert len(story.session().pipeline.kept) == 0 and sim.notifications == [] and sim.errors == []


def test_odd_but_valid_phrases_are_transcribed_or_skipped_never_an_error(talon, phrases, transcripts, wer, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    quilter = phrases["quilter_en.wav"]
    odd = {
        "clipped": np.clip(quilter * 8, -1, 1),  # a microphone turned up too far
        "int16": (quilter * 32767).astype(np.int16),
        "float64 list": [float(x) for x in quilter[::1]],
        "stereo": np.stack([quilter, quilter], axis=1),
    }
    reference = transcripts["quilter_en.wav"]["text"]
    for name, samples in odd.items():
        sim.press(story.hotkey)
        sim.press(story.hotkey)  # a dictation of its own: no context from the other inputs
        sim.speak(samples)
        story.typed(sim, story.done() + 1)
        assert wer(reference, story.pieces()[-1]) <= 0.15, (name, story.pieces()[-1])
    for name, samples in {"20 ms": quilter[:320], "silence": np.zeros(8000, np.float32)}.items():
        done = story.finished()
        sim.speak(samples)
        assert sim.wait_until(lambda: story.finished() > done, 30), name
        assert story.records()[-1]["dropped"], name
    assert not story.session().pipeline.kept and sim.errors == []


def test_whisper_retry_transcribes_a_failed_phrase_again(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en", "user.whisper_max_phrase": 5.0})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])  # 5.9 s: over the limit, kept
    assert sim.wait_until(lambda: story.session().pipeline.kept, 30)
    sim.press(story.hotkey)
    sim.set_setting("user.whisper_max_phrase", 60.0)
    sim.call_on_main(lambda: story.session().refresh_options())
    assert sim.speak(words="whisper retry").ran == ["user.whisper_retry"]
    assert "quilter" in story.typed(sim).lower()


# -- backlog -------------------------------------------------------------------------------------


def test_a_backlog_shows_and_when_full_dictation_stops_with_nothing_lost(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en", "user.whisper_max_backlog": 14.0})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    sim.speak(phrases["quilter_en.wav"])  # arrives while the first is transcribed: 5.9 s wait
    lines = sim.overlay_lines()
    assert any(line.startswith("Behind by") for line in lines), lines
    sim.speak(phrases["quilter_en.wav"])
    sim.speak(phrases["quilter_en.wav"])  # now over 14 s of speech waits
    assert sim.wait_until(lambda: any("behind" in n["title"] for n in sim.notifications), 30)
    assert sim.wait_until(lambda: sim.modes == {"command"}, 10)
    story.typed(sim, 4, timeout=120)  # every phrase heard before the stop is typed
    assert sim.text.lower().count("quilter") == 4


# -- hotkey and voice races ----------------------------------------------------------------------


def test_twenty_quick_presses_leave_the_modes_as_they_were(talon, story):
    sim = talon(modifier_hold_seconds=0.1)  # quick presses
    for start_modes in ({"command"}, {"dictation"}):
        sim.modes = set(start_modes)
        for _ in range(20):
            sim.press(story.hotkey)
        sim.settle()
        assert sim.modes == start_modes
        assert sim.violations == [] and sim.errors == []


def test_stop_while_the_model_is_loading_still_types_what_was_heard(talon, phrases, story):
    sim = talon()
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    sim.press(story.hotkey)
    assert sim.modes == {"command"}
    assert "consulat" in story.typed(sim)


# -- reloads and shutdown ------------------------------------------------------------------------


def test_talon_exit_ends_the_worker_even_mid_transcription(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["jfk_en.flac"])
    worker = story.holder().worker
    time.sleep(0.05)
    sys.modules["user.superwhisper2.superwhisper2.runtime"].shutdown(timeout=1.0)
    worker.join(1.0)
    assert not worker.is_alive()
