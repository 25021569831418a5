"""The user's story in Talon: press Win+Shift+V, speak, the text appears; "whisper stop" ends it."""


def test_press_the_hotkey_say_a_french_sentence_and_it_is_typed(talon, phrases, transcripts, wer, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    assert "user.whisper" in sim.modes and "command" not in sim.modes
    phrase = sim.speak(phrases["consulat_fr.wav"])
    assert phrase.cancelled  # Talon ran none of its own commands on the dictated speech
    text = story.typed(sim, 1)
    assert wer(transcripts["consulat_fr.wav"]["text"], text) <= 0.10
    assert sim.violations == [] and sim.errors == []


def test_noise_types_nothing(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["noise_only.wav"])
    assert sim.wait_until(lambda: story.finished() == 1, 30)  # heard, and dropped
    sim.settle()
    assert sim.typed == [] and story.records()[-1]["dropped"]
    assert sim.errors == []


def test_saying_whisper_stop_brings_command_mode_back_and_nothing_more_is_typed(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    stop = sim.speak(words="whisper stop")
    assert stop.ran == ["user.whisper_stop"]
    assert sim.modes == {"command"}
    sim.speak(phrases["quilter_en.wav"])  # heard as a command now, not dictation
    sim.settle(quiet=1.0)
    assert sim.typed == []


def test_two_phrases_are_joined_by_one_space(talon, phrases, transcripts, wer, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    text = story.dictate(sim, phrases["quilter_en.wav"], phrases["jfk_en.flac"])
    assert not text.startswith(" ") and "  " not in text
    assert ". And so" in text and text.endswith("country.")  # each sentence ends with its mark, then one space
    reference = transcripts["quilter_en.wav"]["text"] + " " + transcripts["jfk_en.flac"]["text"]
    assert wer(reference, text) <= 0.10


def test_a_phrase_spoken_before_the_model_is_ready_is_typed_once_it_is(talon, phrases, transcripts, wer, story):
    sim = talon()
    sim.press(story.hotkey)  # at once, while the model is still loading
    sim.speak(phrases["consulat_fr.wav"])
    text = story.typed(sim, 1, timeout=120)
    assert wer(transcripts["consulat_fr.wav"]["text"], text) <= 0.10


def test_an_engine_error_is_notified_and_the_next_phrase_is_typed(talon, phrases, story):
    import numpy as np

    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(np.array([0.1, np.nan, 0.2] * 8000, dtype=np.float32))  # NaN: the engine refuses it
    assert sim.wait_until(lambda: sim.notifications, 30)
    assert "NaN" in sim.notifications[-1]["body"]
    sim.speak(phrases["quilter_en.wav"])
    assert "quilter" in story.typed(sim, 1).lower()
    assert len(story.session().pipeline.kept) == 1  # the audio is kept for "whisper retry"


def test_pressing_the_hotkey_again_stops_and_restores_the_modes(talon, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.press(story.hotkey)
    assert sim.modes == {"command"}
