"""Talon loads every file of this repository harmlessly, and the .talon files say what the README says."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

def test_every_python_file_imports_in_talon_with_nothing_started_loaded_or_read():
    """Talon imports tests/ and tools/ too: each file must be harmless without pytest or Whisper."""
    from talon_sim import import_report

    report = import_report(str(REPO))
    assert report["errors"] == []  # a setting read at import would be an error here too
    assert report["threads_started"] == 0
    assert report["heavy_imported"] == [] and report["models"] is False
    expected = {
        "user.superwhisper2." + ".".join(p.relative_to(REPO).with_suffix("").parts)
        for p in REPO.rglob("*.py")
        if not any(part.startswith(".") for part in p.relative_to(REPO).parts)
    }
    assert set(report["modules"]) == expected
    print(f"importing {len(expected)} files took {report['import_ms']} ms")


def test_every_talon_file_parses():
    import tree_sitter_talon

    files = sorted(REPO.joinpath("superwhisper2").glob("*.talon"))
    assert {f.name for f in files} >= {"settings.talon", "dictation.talon"}
    for path in files:
        tree_sitter_talon.parse_file(str(path), raise_parse_error=True)


def test_settings_talon_sets_nothing_and_its_comments_uncommented_are_the_defaults(tmp_path):
    """Defaults live in mod.setting only: settings.talon never competes with the user's own files
    (between two active files Talon picks the more specific, TALON_FACTS); uncommented, it
    gives exactly the declared defaults."""
    from superwhisper2.options import SETTINGS
    from talon_sim import parse_talon_file

    from superwhisper2.options import settings_template

    path = REPO / "superwhisper2" / "settings.talon"
    assert path.read_text(encoding="utf-8") == settings_template()
    assert parse_talon_file(str(path)).settings == {}
    lines = path.read_text(encoding="utf-8").splitlines()
    uncommented = [line[2:] if line == "# settings():" or line.startswith("#     user.") else line for line in lines]
    copy = tmp_path / "settings.talon"
    copy.write_text("\n".join(uncommented) + "\n", encoding="utf-8")
    parsed = parse_talon_file(str(copy))
    assert parsed.modes == ["all"]
    declared = {f"user.{name}": (kind(default) if kind is not bool else int(default)) for name, (kind, default, _) in SETTINGS.items()}
    assert parsed.settings == declared
    required = """whisper_model whisper_model_dir whisper_device whisper_compute_type whisper_cpu_fallback_model
        whisper_language whisper_beam_size whisper_best_of whisper_patience whisper_length_penalty
        whisper_repetition_penalty whisper_no_repeat_ngram_size whisper_temperature
        whisper_compression_ratio_threshold whisper_log_prob_threshold whisper_no_speech_threshold
        whisper_initial_prompt whisper_hotwords whisper_min_window whisper_auto_stop whisper_max_phrase
        whisper_overlay whisper_max_latency_ms whisper_max_vram_gb""".split()
    assert set(required) <= set(SETTINGS)
    assert SETTINGS["whisper_model"][1] == "large-v3-turbo" and SETTINGS["whisper_language"][1] == "fr"


def test_the_hotkey_is_one_chord_for_talon_the_plugin_and_the_harness(story):
    from talon_sim import parse_talon_file

    from superwhisper2.keys import HOTKEY

    bound = {key.split(":")[0] for name in ("hotkey.talon", "hotkey_sleep.talon")
             for key in parse_talon_file(str(REPO / "superwhisper2" / name)).hotkeys}
    assert bound == {HOTKEY} == {story.hotkey}


def test_the_hotkey_works_in_command_dictation_and_whisper_modes_not_in_sleep(talon, story):
    sim = talon()
    for mode in ("command", "dictation", "user.whisper"):
        sim.modes = {mode}
        assert sim.bindings(story.hotkey) == [[("user.whisper_hotkey_down", [])]], mode
        assert sim.bindings(story.hotkey + ":up") == [[("user.whisper_hotkey_up", [])]], mode
    sim.modes = {"sleep"}
    sim.press(story.hotkey)
    sim.settle()
    assert sim.modes == {"sleep"}  # the setting is off by default


def test_the_hotkey_wakes_from_sleep_when_the_setting_says_so(talon, story):
    sim = talon(settings={"user.whisper_hotkey_in_sleep": True})
    sim.modes = {"sleep"}
    sim.press(story.hotkey)
    assert sim.modes == {"user.whisper"}
    sim.press(story.hotkey)
    assert sim.modes == {"sleep"}


def test_voice_commands_start_and_status_in_command_mode(talon):
    sim = talon()
    assert sim.speak(words="whisper status").ran == ["user.whisper_status"]
    assert sim.notifications and "superwhisper2" in sim.notifications[-1]["title"]
    assert sim.speak(words="whisper start").ran == ["user.whisper_start"]
    assert sim.modes == {"user.whisper"}
    assert sim.speak(words="whisper cancel").ran == ["user.whisper_cancel"]
    assert sim.modes == {"command"}
    assert sim.violations == []


def test_action_signatures_use_no_pipe_unions():
    """Talon 0.4 rejects `X | Y` in action annotations; the simulator checks it when loading."""
    source = (REPO / "superwhisper2" / "plugin.py").read_text()
    assert " | None" not in source.split("class Actions")[1].split("def _status_line")[0]


def test_the_readme_documents_every_setting_and_voice_command():
    from superwhisper2.options import SETTINGS
    from talon_sim import parse_talon_file

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if f"`user.{name}`" not in readme]
    assert missing == []
    for path in REPO.joinpath("superwhisper2").glob("*.talon"):
        for rule, _ in parse_talon_file(str(path)).commands:
            words = " ".join(word for kind, word in rule if kind == "word")
            if words.startswith("whisper language "):  # documented once: "whisper language french / english / auto"
                assert words.split()[-1] in readme.lower().split("whisper language ", 1)[1].split('"')[0], words
            elif words:
                assert f'"{words}"' in readme.lower(), words
