"""The story's edges: stop words only Whisper heard, races, Talon facts that may be false, reloads, exit."""

import sys
import threading
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _idle(sim, story, timeout=60):
    """Wait until the worker has nothing queued and the main thread has nothing due."""
    assert sim.wait_until(lambda: story.holder().queue.unfinished_tasks == 0 or story.holder().queue.empty(), timeout)
    time.sleep(0.2)
    sim.wait_until(lambda: story.holder().session.status.state not in ("transcribing",), timeout)
    sim.settle(quiet=0.5)


def test_whisper_stop_heard_only_by_whisper_stops_and_is_not_typed(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    sim.speak(story.load("whisper_stop.wav"))  # Talon's grammar did not match: only Whisper hears the words
    assert sim.wait_until(lambda: "user.whisper" not in sim.modes, 60)
    _idle(sim, story)
    assert sim.modes == {"command"}
    assert len(story.pieces()) == 1 and "consulat" in sim.document and "whisper" not in sim.document.lower()
    assert sim.document.endswith("général.")  # dictation stopped: the held closing mark is typed


def test_whisper_stop_heard_late_never_stops_the_next_dictation(talon, phrases, story):
    """A slow CPU: "whisper stop", heard only by Whisper, waits behind a sentence; meanwhile the user
    stopped and started again with the hotkey. That stop belonged to the dictation that ended."""
    sim = talon(modifier_hold_seconds=0.1)
    story.ready(sim)
    sim.press(story.hotkey)
    with story.session().keeper.model.lock:  # Whisper is busy (a slow CPU)...
        sim.speak(phrases["consulat_fr.wav"])
        sim.speak(story.load("whisper_stop.wav"))
        sim.press(story.hotkey)  # ...while the user stops...
        sim.press(story.hotkey)  # ...and starts again
        assert story.records() == []
    assert sim.wait_until(lambda: len(story.records()) == 2, 60)
    _idle(sim, story)
    assert "user.whisper" in sim.modes  # the new dictation listens on
    assert "consulat" in sim.document and "whisper" not in sim.document.lower()


def test_whisper_cancel_heard_only_by_whisper_cancels(talon, story, base_model):
    """What the model hears in this synthetic voice depends on the CPU's int8 kernels: the
    plugin must act on what the same model hears on this machine, in this run."""
    from superwhisper2.engine.guard import normalise
    from superwhisper2.engine.transcriber import DecodeOptions, transcribe

    from conftest import STORY_OPTIONS

    audio = story.load("whisper_cancel.wav")
    heard = normalise(transcribe(base_model, audio, DecodeOptions(language="fr", **STORY_OPTIONS)).text)
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(audio)
    if heard == "whisper cancel":
        assert sim.wait_until(lambda: "user.whisper" not in sim.modes, 60)
        _idle(sim, story)
        assert sim.typed == [] and sim.modes == {"command"}
    else:  # heard as words: typed as what was heard, never a crash or a lost phrase
        story.typed(sim, 1)
        assert normalise(sim.document) == heard and "user.whisper" in sim.modes


def test_stop_while_a_phrase_is_transcribing_still_types_it(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    assert sim.speak(words="whisper stop").ran == ["user.whisper_stop"]
    assert sim.modes == {"command"}
    assert sim.wait_until(lambda: sim.typed, 60)
    assert "consulat" in sim.text


def test_cancel_while_a_phrase_is_transcribing_types_nothing_more(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    sim.speak(phrases["quilter_en.wav"])
    assert sim.speak(words="whisper cancel").ran == ["user.whisper_cancel"]
    _idle(sim, story)
    assert sim.typed == [] and sim.modes == {"command"}


def test_phrases_delivered_on_a_thread_of_their_own_work_too(talon, phrases, story):
    """TALON_FACTS: phrase callbacks run on Talon's one thread (sure, and the simulator's default).
    An older or future Talon might call them on a thread of their own: nothing may depend on it."""
    sim = talon(phrase_thread="background")
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"], wait=False)
    assert sim.wait_until(lambda: sim.typed, 60)
    assert "quilter" in sim.text.lower() and sim.violations == []


def test_rejected_phrases_with_or_without_samples_are_never_lost(talon, phrases, story):
    """Whether a phrase no rule matched carries samples is unknown: the catch-all rule makes it moot."""
    for samples_on_rejected in (False, True):
        sim = talon(samples_on_rejected=samples_on_rejected, settings={"user.whisper_language": "en"})
        story.ready(sim)
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"], words="mister quilter")  # matched by <phrase>: skip()
        assert sim.wait_until(lambda: sim.typed, 60), samples_on_rejected
        assert "quilter" in sim.text.lower()
        sim.press(story.hotkey)
        story.end(sim)


def test_phrases_without_audio_fall_back_to_the_microphone_stream(talon, phrases, story):
    from talon_sim import cubeb_module

    import numpy as np

    microphone = np.concatenate([np.zeros(8_000, np.float32), phrases["quilter_en.wav"]])
    sim = talon(phrases_have_samples=False, cubeb=cubeb_module(microphone), settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    for _ in range(3):  # Talon's phrases keep coming with words but no "samples"
        sim.speak(None)
    assert sim.wait_until(lambda: sim.typed, 60)
    assert "quilter" in sim.text.lower()
    sim.press(story.hotkey)
    assert not sim.cubeb.streams[0].running.is_set()  # the microphone is released on stop


def test_no_audio_and_no_microphone_stream_says_so_and_stops(talon, story):
    sim = talon(phrases_have_samples=False)
    story.ready(sim)
    sim.press(story.hotkey)
    for _ in range(3):
        sim.speak(None)
    assert sim.wait_until(lambda: sim.notifications, 10)
    assert "No audio" in sim.notifications[-1]["title"] and "cubeb" in sim.notifications[-1]["body"]
    assert sim.wait_until(lambda: sim.modes == {"command"}, 5)


def test_a_microphone_that_fails_after_dictation_stopped_says_nothing(talon, story):
    """The fallback stream opens on a thread of its own; the user stopped before it failed."""
    import time

    import numpy as np
    from talon_sim import cubeb_module

    module = cubeb_module(np.zeros(1, np.float32), devices=())  # no microphone: opening fails...
    listed = module.Context.inputs
    module.Context.inputs = lambda self: (time.sleep(2.0), listed(self))[1]  # ...after a while
    sim = talon(phrases_have_samples=False, cubeb=module)
    story.ready(sim)
    sim.press(story.hotkey)
    for _ in range(3):
        sim.speak(None)
    sim.press(story.hotkey)  # stopped while the stream was opening
    assert sim.wait_until(lambda: sim.modes == {"command"}, 5)
    time.sleep(3.0)
    sim.settle()
    assert not [n for n in sim.notifications if "No audio" in n["title"]], sim.notifications
    assert sim.modes == {"command"}


def _workers():
    return [t for t in threading.enumerate() if t.name == "superwhisper2-worker"]


def test_reloading_files_mid_transcription_keeps_one_model_one_hook_one_worker(talon, phrases, story):
    from superwhisper2.engine import models

    for clears in (False, True):
        sim = talon(reload_clears_callbacks=clears)
        story.ready(sim)
        loads = models.load_count()
        sim.press(story.hotkey)
        sim.speak(phrases["consulat_fr.wav"])
        for name in ("superwhisper2/plugin.py", "superwhisper2/session.py", "superwhisper2/capture.py",
                     "superwhisper2/engine/models.py", "superwhisper2/overlay.py"):
            sim.reload("superwhisper2/" + name)  # the repository sits in the user directory as superwhisper2/
        sim.settle()
        assert sim.wait_until(lambda: sim.typed, 60), clears
        assert "consulat" in sim.text
        assert models.load_count() == loads, "the model was loaded again"
        assert len(sim.speech_callbacks["pre:phrase"]) == 1
        assert len(_workers()) == 1
        sim.speak(phrases["consulat_fr.wav"])  # the new code takes the next phrase
        assert sim.wait_until(lambda: len(story.pieces()) == 2, 60)
        assert sim.errors == [] and sim.violations == [], sim.log
        story.end(sim)


def test_talon_exits_and_the_worker_ends_within_a_second(talon, story):
    sim = talon()
    story.ready(sim)
    shutdown = sys.modules["user.superwhisper2.superwhisper2.runtime"].shutdown
    worker = story.holder().worker
    started = time.monotonic()
    shutdown(timeout=1.0)
    assert not worker.is_alive() and time.monotonic() - started < 1.5


def test_the_overlay_shows_loading_then_listening_then_the_text_and_its_latency(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})
    sim.press(story.hotkey)
    lines = sim.overlay_lines()
    assert lines and ("Loading model…" in lines[0] or "Listening" in lines[0])
    story.ready(sim)
    assert sim.overlay_lines()[0] == "Whisper: Listening"
    sim.speak(phrases["quilter_en.wav"])
    assert sim.wait_until(lambda: sim.typed, 60)
    sim.settle()
    lines = sim.overlay_lines()
    shown = [line for line in lines if line.startswith("…")]
    assert shown and shown[0].endswith("gospel.") and (" " + shown[0][1:-1]) in sim.document, lines  # cut at a word
    assert lines[-1].endswith(" ms")
    sim.press(story.hotkey)
    sim.settle()
    assert sim.overlay_lines() == []  # hidden when idle


def test_text_waits_until_the_hotkeys_modifiers_are_released(talon, phrases, story):
    sim = talon(modifier_hold_seconds=0.25, settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    sim.press(story.hotkey)  # stop at once: the phrase is typed after the modifiers are up
    assert sim.wait_until(lambda: sim.typed, 60)
    assert sim.violations == []


def test_dictation_stops_by_itself_after_the_auto_stop_silence(talon, story):
    sim = talon(settings={"user.whisper_auto_stop": 2.0}, modifier_hold_seconds=0.1)
    story.ready(sim)
    sim.press(story.hotkey)
    assert "user.whisper" in sim.modes
    assert sim.wait_until(lambda: sim.modes == {"command"}, 10)


def test_changing_the_model_setting_reloads_the_model_in_the_background(talon, tiny_model_dir, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.set_setting("user.whisper_model", str(tiny_model_dir))
    assert sim.wait_until(lambda: story.session().keeper.model is not None
                          and Path(story.session().keeper.model.path) == tiny_model_dir, 30)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    assert sim.wait_until(lambda: sim.typed, 60)
    assert "quilter" in sim.text.lower()
