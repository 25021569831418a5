"""Dictation that reads right and is never lost: history, undo, paste last, languages, settings, status."""

import json
import sys
from pathlib import Path


def _history(sim):
    path = Path(sim.user_dir).parent / "superwhisper2" / "history.jsonl"  # Talon's home, beside user/
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_every_transcription_is_in_the_history_in_talons_home_and_nothing_else_is_written(talon, phrases, story):
    sim = talon()
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    story.typed(sim)
    records = _history(sim)
    assert len(records) == 1 and "consulat" in records[0]["text"] and records[0]["language"] == "fr"
    home = Path(sim.user_dir).parent
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() and "user" not in p.parts[len(home.parts):][:1])
    assert written == ["superwhisper2/history.jsonl"]
    assert "samples" not in records[0] and "audio" not in json.dumps(records[0])  # audio is never stored


def test_the_history_survives_an_insertion_that_raises(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.insert_error = RuntimeError("the focused window went away")
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    assert sim.wait_until(lambda: any("Could not type" in n["title"] for n in sim.notifications), 60)
    assert "paste last" in sim.notifications[-1]["body"]
    assert "Quilter" in _history(sim)[-1]["text"]
    sim.insert_error = None
    assert sim.speak(words="whisper paste last").ran == ["user.whisper_paste_last"]
    assert sim.wait_until(lambda: "Quilter" in sim.document, 10)


def test_whisper_undo_sends_exactly_the_backspaces_of_the_last_phrase(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    sim.speak(phrases["jfk_en.flac"])
    both = story.typed(sim, 2)
    first = sim.typed[0]  # "Mr. Quilter ... gospel": its closing mark waits for the next phrase
    assert both.startswith(first) and len(both) > len(first) + 20
    assert sim.speak(words="whisper undo").ran == ["user.whisper_undo"]
    assert sim.keys[-1] == f"backspace:{len(both) - len(first)}"  # the second phrase, and the mark it brought
    assert sim.document == first
    assert sim.speak(words="whisper undo").ran == ["user.whisper_undo"]
    assert sim.keys[-1] == f"backspace:{len(first)}" and sim.document == ""
    sim.speak(words="whisper undo")
    assert any("Nothing to undo" in n["title"] for n in sim.notifications)


def test_switching_language_by_voice(talon, phrases, transcripts, wer, story):
    sim = talon()  # French by default
    story.ready(sim)
    sim.press(story.hotkey)
    assert sim.speak(words="whisper language english").ran == ["user.whisper_language"]
    sim.speak(phrases["quilter_en.wav"])
    assert wer(transcripts["quilter_en.wav"]["text"], story.typed(sim)) <= 0.10
    assert story.records()[-1]["language"] == "en"
    sim.speak(words="whisper language auto")
    sim.speak(phrases["consulat_fr.wav"])
    story.typed(sim, 2)
    assert story.records()[-1]["language"] == "fr"  # detected within fr,en
    sim.speak(words="whisper language french")
    assert story.session().pipeline.language_override == "fr"


def test_auto_detection_keeps_the_first_phrases_language_unless_another_wins_clearly(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "auto"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(phrases["consulat_fr.wav"])
    story.typed(sim)
    assert story.session().pipeline.sticky_language == "fr"
    sim.speak(phrases["quilter_en.wav"])  # clearly English: detection switches
    story.typed(sim, 2)
    assert story.records()[-1]["language"] == "en"


def test_whisper_settings_opens_settings_talon_in_the_users_editor(talon):
    sim = talon(community=True)
    assert sim.speak(words="whisper settings").ran == ["user.whisper_settings"]
    assert sim.opened and sim.opened[-1].endswith("superwhisper2/settings.talon")


def test_after_dictating_whisper_status_then_whisper_history_show_in_the_overlay(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    story.dictate(sim, phrases["quilter_en.wav"])
    sim.speak(words="whisper status")
    lines = sim.overlay_lines()
    assert any(line.startswith("Model: ") for line in lines) and any(line.startswith("Device: cpu") for line in lines)
    assert "Language: en" in lines and any(line.startswith("Latency: p50") for line in lines)
    sim.speak(words="whisper history")  # the file is read off Talon's thread, then shown
    assert sim.wait_until(lambda: sim.overlay_lines()[:1] == ["Whisper history"], 5), sim.overlay_lines()
    assert any("gospel" in line for line in sim.overlay_lines())


def test_the_capture_hook_lets_talon_run_every_dictation_command(talon):
    """capture.COMMAND_WORDS must list dictation.talon's commands, or their audio goes to Whisper."""
    sim = talon()
    rules = {" ".join(w for _, w in rule) for f in sim.talon_files.values() if f.modes == ["user.whisper"]
             for rule, _ in f.commands if all(kind == "word" for kind, _ in rule)}
    capture = sys.modules["user.superwhisper2.superwhisper2.capture"]
    assert rules == capture.COMMAND_WORDS


DATA = Path(__file__).resolve().parent / "data"


def _user_list(sim, name, entries):
    """The user's own list, at the root of Talon's user folder, as Talon would load it."""
    path = Path(sim.user_dir) / f"whisper_{name}.talon-list"
    path.write_text(f"list: user.whisper_{name}\n-\n" + "\n".join(entries) + "\n", encoding="utf-8")
    return path


def test_a_vocabulary_word_corrects_what_the_plain_model_gets_wrong(talon, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    sim.press(story.hotkey)
    sim.speak(story.load("kubernetes.wav"))
    plain = story.typed(sim)
    assert "Kubernetes" not in plain  # base hears "Cuba needs"
    sim.press(story.hotkey)
    _user_list(sim, "vocabulary", ["Kubernetes", "Talon"])  # the user adds the words, then dictates again
    sim.press(story.hotkey)
    sim.speak(story.load("kubernetes.wav"))
    sim.speak(story.load("talon_settings.wav"))
    story.typed(sim, 3)
    assert "Kubernetes" in story.pieces()[1] and "Talon" in story.pieces()[2]


def test_replacements_apply_to_whole_words_keeping_capitals(talon, phrases, story):
    sim = talon(settings={"user.whisper_language": "en"})
    story.ready(sim)
    _user_list(sim, "replacements", ["quilter: Kilter", "middle classes: middle class", "apost: X"])
    sim.press(story.hotkey)
    sim.speak(phrases["quilter_en.wav"])
    text = story.typed(sim)
    assert "Kilter" in text and "middle class," in text and "apostle" in text  # "apost" is no whole word


def test_spoken_punctuation_and_layout_in_both_languages():
    from superwhisper2.engine.text import join, spoken_punctuation

    said = {
        "Bonjour virgule": "Bonjour,", "Virgule.": ",", "Point.": ".", "Bonjour. Point.": "Bonjour.",
        "Comment allez-vous point d'interrogation": "Comment allez-vous?", "Deux points.": ":",
        "À la ligne.": "\n", "Nouveau paragraphe.": "\n\n",
        "Hello comma": "Hello,", "Period.": ".", "Is it done question mark": "Is it done?",
        "New line.": "\n", "New paragraph": "\n\n",
    }
    for text, expected in said.items():
        assert spoken_punctuation(text) == expected, text
    for ordinary in ("Le point de vue est bon.", "Il est au point.", "The period was long.", "A colon."):
        assert spoken_punctuation(ordinary) == ordinary  # words in a sentence, not commands
    typed = "Bonjour"
    for phrase in ("virgule", "comment allez-vous", "point d'interrogation", "à la ligne", "Très bien."):
        typed += join(typed, spoken_punctuation(phrase), french=True)
    assert typed == "Bonjour, comment allez-vous\u00a0?\nTrès bien."


def test_french_typography_is_a_setting(talon, story):
    from superwhisper2.engine.text import join

    assert join("Il dit", "Quoi ? Non !", french=True) == " Quoi\u00a0? Non\u00a0!"
    assert join("Il dit", "Quoi ? Non !", french=False) == " Quoi ? Non !"
    sim = talon(settings={"user.whisper_french_spacing": False})
    assert sim.call_on_main(lambda: story.session().refresh_options()).plugin.french_spacing is False
