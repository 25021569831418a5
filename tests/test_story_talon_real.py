"""Talon as it really runs (../shared/TALON_FACTS.md): phrase callbacks on Talon's own thread,
rejected phrases, any start mode, keys let go in any order, "whisper undo" said mid-phrase, the
doctor during a CUDA failure, and reloads that drop a file's timers and windows."""

import sys

if "pytest" in sys.modules:  # Talon imports every .py, this one too: under Talon it defines nothing

    import itertools
    import time
    from dataclasses import replace

    import numpy as np
    import pytest


    # -- 1. phrase callbacks run on Talon's thread: nothing there may block ---------------------------

    def test_talons_thread_is_never_held_while_the_microphone_stream_starts_and_stops(talon, phrases, story):
        """A Talon that gives no audio: the plugin reads the microphone itself. cubeb's start and stop
        block for a while here; Talon's thread (phrase callbacks, actions, cron) must not wait on them."""
        from talon_sim import cubeb_module

        microphone = np.concatenate([np.zeros(8_000, np.float32), phrases["quilter_en.wav"]])
        sim = talon(phrases_have_samples=False, cubeb=cubeb_module(microphone, blocking_seconds=1.5),
                    settings={"user.whisper_language": "en"}, modifier_hold_seconds=0.1)
        story.ready(sim)
        sim.press(story.hotkey)
        for _ in range(3):  # Talon recognised words, yet gave no samples: it gives no audio at all
            sim.speak(None)
        assert sim.wait_until(lambda: "quilter" in sim.text.lower(), 60)
        sim.press(story.hotkey)
        sim.settle(quiet=2.0)
        assert max(sim.main_task_seconds) < 0.5, sorted(sim.main_task_seconds)[-3:]
        assert sim.cubeb.streams[0].device == "device-0"  # a device that exists
        assert not sim.cubeb.streams[0].running.is_set()  # released when dictation stopped
        assert sim.errors == [] and sim.violations == []


    # -- 2. rejected phrases ---------------------------------------------------------------------------

    def test_a_rejected_phrase_with_an_empty_buffer_is_nothing_heard(talon, phrases, story):
        """A rejected phrase may bring "samples" with nothing in them: nothing heard, not an error."""
        sim = talon(samples_on_rejected=True, settings={"user.whisper_language": "en"})
        story.ready(sim)
        sim.press(story.hotkey)
        sim.speak(np.zeros(0, np.float32), rejected=True)
        sim.speak(phrases["quilter_en.wav"])
        assert sim.wait_until(lambda: "quilter" in sim.document.lower(), 60), sim.document
        sim.settle(quiet=0.5)
        assert sim.notifications == [] and sim.errors == [] and len(story.records()) == 1

    @pytest.mark.parametrize("samples_on_rejected", [False, True])
    def test_coughs_talon_rejects_are_nothing_heard_and_dictation_goes_on(talon, phrases, story, samples_on_rejected):
        from talon_sim import cubeb_module

        noise = phrases["noise_only.wav"][:16_000]
        sim = talon(samples_on_rejected=samples_on_rejected, cubeb=cubeb_module(np.zeros(16_000, np.float32)),
                    settings={"user.whisper_language": "en"})
        story.ready(sim)
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        for _ in range(4):  # coughs: Talon matched no words (and may attach no samples)
            sim.speak(noise, rejected=True)
        sim.speak(phrases["quilter_en.wav"])
        assert sim.wait_until(lambda: sim.document.lower().count("quilter") == 2, 90), sim.document
        sim.settle(quiet=0.5)
        assert "user.whisper" in sim.modes and sim.notifications == []
        assert sim.cubeb.streams == []  # never switched to its own microphone
        assert sim.document.lower().count("quilter") == 2


    # -- 3. Talon may start in any mode ----------------------------------------------------------------

    @pytest.mark.parametrize("mode", ["sleep", "dictation", "command sleep"])  # community's "go to sleep"
    def test_talon_started_outside_command_mode_loads_no_model_until_the_users_settings_apply(
            talon, tiny_model_dir, story, mode):
        """The user's header-less settings file names a local model; it applies in command mode only.
        Until Talon is in command mode no model is loaded or downloaded (the default is 1.6 GB)."""
        from superwhisper2.engine import models

        loads = models.load_count()
        sim = talon(mode=mode, settings={"user.whisper_model": str(tiny_model_dir)})
        time.sleep(2.5)  # start-up, and a settings poll
        sim.settle()
        keeper = story.session().keeper
        assert keeper.model is None and keeper.loading is None and keeper.error is None
        assert models.load_count() == loads and sim.notifications == []
        sim.modes = {"command"}  # the user says "wake up": the user's file applies, the poll reads it
        assert sim.wait_until(lambda: keeper.model is not None, 30), sim.notifications
        assert keeper.model.path == str(tiny_model_dir)


    # -- 4. the hotkey -----------------------------------------------------------------------------------

    @pytest.mark.parametrize("mode", ["command", "dictation", "sleep"])
    def test_the_hotkeys_key_down_never_reaches_windows(talon, story, mode):
        """PowerToys' Advanced Paste has the same keys: Talon must consume the chord in every mode
        it is bound in, whatever the user's setting for sleep mode."""
        sim = talon(mode=mode, modifier_hold_seconds=0.1)
        sim.settle()
        for _ in range(2):
            sim.press(story.hotkey)
            sim.settle()
        assert story.hotkey not in sim.passed and story.hotkey + ":up" not in sim.passed, sim.passed
        assert sim.modes == {mode}  # sleep: the setting is off, nothing started


    def test_dictation_toggles_once_per_press_in_whatever_order_the_keys_come_up(talon, story):
        sim = talon(modifier_hold_seconds=0.1, modifier_lag_seconds=0.3)
        story.ready(sim)
        for order in itertools.permutations(("super", "shift", "v")):
            sim.facts = replace(sim.facts, release_order=order)
            sim.press(story.hotkey)
            assert sim.modes == {"user.whisper"}, order  # on at once, even if Talon never reports the :up
            sim.settle()
            sim.press(story.hotkey)
            sim.settle()
            assert sim.modes == {"command"}, order
        assert sim.errors == []


    @pytest.mark.parametrize("os_key_state", [True, False])
    def test_nothing_is_typed_while_win_shift_or_v_is_down(talon, phrases, story, os_key_state):
        """Keys held longer than the type delay, let go in any order, a phrase in flight. Without the
        system's word on the keys (os_key_state False), typing waits for Talon's :up and the delay."""
        sim = talon(modifier_hold_seconds=None, modifier_lag_seconds=1.0, seed=3, os_key_state=os_key_state,
                    settings={"user.whisper_language": "en"})
        story.ready(sim)
        for _ in range(3):
            # a person starts, says a sentence, stops: that takes time (without the system's word on
            # the keys, a key-down very soon after a short press is taken for the key repeating)
            time.sleep(1.6)
            sim.press(story.hotkey)
            time.sleep(1.6)
            sim.speak(phrases["quilter_en.wav"])
            sim.press(story.hotkey)  # stop at once, keys held while the phrase is transcribed
        story.typed(sim, 3)
        sim.settle(quiet=0.5)
        assert sim.document.lower().count("quilter") == 3
        if os_key_state:  # where the system can be asked, never; without it, as long as Talon's :up came
            assert sim.violations == [], (sim.violations, sim.keyboard.orders)
        assert sim.errors == []


    @pytest.mark.parametrize("recognised", ["a command", "nothing", "nothing, no audio"])
    def test_a_sentence_still_being_said_when_the_hotkey_stops_dictation_is_dictation(talon, phrases, story, recognised):
        """The user presses Win+Shift+V before Talon's pause detector closed the last phrase: Talon
        hands it over after the stop, recognised in command mode. It began while dictating, so no
        command runs on it, and with its audio it is typed (a rejected phrase may have none)."""
        sim = talon(settings={"user.whisper_language": "en"}, modifier_hold_seconds=0.1,
                    samples_on_rejected=recognised == "nothing")
        story.ready(sim)
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        story.typed(sim, 1)
        began = time.perf_counter()  # the last sentence begins...
        sim.press(story.hotkey)  # ...and the hotkey stops dictation before Talon closed it
        assert sim.modes == {"command"}
        words = "whisper status" if recognised == "a command" else "ask not what your country"
        late = sim.speak(phrases["jfk_en.flac"], words=words, began=began)
        assert late.cancelled and late.ran == []
        if recognised != "nothing, no audio":
            assert sim.wait_until(lambda: "country" in sim.document.lower(), 60), sim.document
        assert sim.speak(words="whisper status").ran == ["user.whisper_status"]  # said after the stop: Talon's
        sim.settle(quiet=0.5)
        assert ("country" in sim.document.lower()) == (recognised != "nothing, no audio"), sim.document
        assert sim.modes == {"command"} and sim.errors == []
        assert not [n for n in sim.notifications if "phrase" in n["title"].lower()], sim.notifications

    @pytest.mark.parametrize("ts", ["missing", "another clock"])
    def test_without_talons_phrase_start_time_a_phrase_after_the_stop_is_talons(talon, phrases, story, ts):
        """Talon's "_ts" is only likely (TALON_FACTS): without it, or on another clock than the
        perf counter, nothing tells a phrase begun before the stop, and it is Talon's as before."""
        sim = talon(settings={"user.whisper_language": "en"}, modifier_hold_seconds=0.1,
                    samples_on_rejected=True, phrase_ts=ts != "missing")
        story.ready(sim)
        sim.press(story.hotkey)
        sim.press(story.hotkey)
        began = time.time() if ts == "another clock" else None
        assert not sim.speak(phrases["jfk_en.flac"], words="whisper status", began=began).cancelled
        sim.settle(quiet=0.5)
        assert sim.document == "" and story.records() == [] and sim.errors == []


    # -- 5. "whisper undo" while a phrase is being transcribed -----------------------------------------

    def test_whisper_undo_said_while_a_phrase_is_transcribed_removes_that_phrase(talon, phrases, story):
        sim = talon(settings={"user.whisper_language": "en"}, modifier_hold_seconds=0.1)
        story.ready(sim)
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        story.typed(sim, 1)
        typed = sim.document
        sim.speak(phrases["jfk_en.flac"])  # in flight...
        assert sim.speak(words="whisper undo").ran == ["user.whisper_undo"]  # ...when the user takes it back
        assert sim.wait_until(lambda: len(story.records()) == 2, 60)
        sim.settle(quiet=0.5)
        assert sim.document == typed and sim.keys == []  # the sentence before stays; nothing was deleted
        assert story.records()[-1]["outcome"] == "cancelled"


    # -- 6. the doctor during a CUDA failure -------------------------------------------------------------

    def test_whisper_doctor_after_cuda_failed_leaves_the_dictation_its_model(talon, tiny_model_dir, phrases, story):
        sim = talon(settings={"user.whisper_cpu_fallback_model": str(tiny_model_dir), "user.whisper_language": "en",
                              "user.whisper_device": "auto"}, modifier_hold_seconds=0.1)  # auto: the CPU here
        story.ready(sim)
        model = story.session().keeper.model
        model.device = "cuda"  # the engine's device fails as CUDA does
        from conftest import BrokenDevice

        model.whisper.model = BrokenDevice(model.whisper.model)
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        story.typed(sim, 1)  # typed by the CPU fallback
        fallback = story.session().keeper.model
        sim.press(story.hotkey)
        assert sim.speak(words="whisper doctor").ran == ["user.whisper_doctor"]
        assert sim.wait_until(lambda: any("doctor" in n["title"] for n in sim.notifications), 120)
        assert story.session().keeper.model is fallback and not fallback.released
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        assert "quilter" in story.typed(sim, 2, timeout=60).lower().split("gospel", 1)[1]


    def test_a_model_released_under_a_phrase_is_loaded_again_and_the_phrase_typed(talon, phrases, story):
        from superwhisper2.engine import models

        sim = talon(settings={"user.whisper_language": "en"}, modifier_hold_seconds=0.1)
        story.ready(sim)
        models.release(story.session().keeper.model)  # freed by mistake, while dictating
        sim.press(story.hotkey)
        sim.speak(phrases["quilter_en.wav"])
        assert "quilter" in story.typed(sim, 1, timeout=60).lower()


    # -- 7. reloads drop a file's timers and windows -----------------------------------------------------

    @pytest.mark.parametrize("job_owner", ["caller", "callback"])
    def test_reloading_any_one_file_keeps_the_overlay_the_auto_stop_and_the_settings_poll(
            talon, tiny_model_dir, story, job_owner):
        from pathlib import Path

        every_file = sorted(p.name for p in (Path(__file__).parent.parent / "superwhisper2").glob("*.py"))
        files = every_file if job_owner == "caller" else ["overlay.py", "session.py", "runtime.py", "plugin.py"]
        sim = talon(job_owner=job_owner, settings={"user.whisper_auto_stop": 2.0}, modifier_hold_seconds=0.1)
        story.ready(sim)
        for name in files:
            sim.press(story.hotkey)
            sim.reload("superwhisper2/superwhisper2/" + name)  # Talon drops its cron jobs and imgui windows
            sim.settle()
            assert sim.overlay_lines()[:1] == ["Whisper: Listening"], (name, sim.overlay_lines())
            assert sim.wait_until(lambda: sim.modes == {"command"}, 10), name  # the auto-stop still runs
            sim.settle()
            assert sim.overlay_lines() == [], name
        sim.set_setting("user.whisper_model", str(tiny_model_dir))  # the settings poll still runs
        assert sim.wait_until(lambda: story.session().keeper.model is not None
                              and story.session().keeper.model.path == str(tiny_model_dir), 30)
        assert sim.errors == [], sim.log

    def test_if_talon_kept_a_reloaded_overlays_window_only_the_new_one_shows(talon, story):
        """Whether Talon drops a reloaded file's imgui window is not documented: with the fact false."""
        sim = talon(reload_drops_jobs=False, modifier_hold_seconds=0.1)
        story.ready(sim)
        sim.press(story.hotkey)
        sim.reload("superwhisper2/superwhisper2/overlay.py")
        sim.settle()
        assert sum(window.showing for window in sim.imgui_windows) == 1
        assert sim.overlay_lines()[:1] == ["Whisper: Listening"]
        sim.press(story.hotkey)
        sim.settle()
        assert sim.overlay_lines() == []
