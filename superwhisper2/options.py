"""Every setting in one table, read in one place into plain objects for the engine.

`SETTINGS` is the single source: plugin.py declares each with `mod.setting`, settings.talon
lists each with its default (a test checks they agree), and `read_options` turns their
current values into a ModelSpec, DecodeOptions and PluginOptions.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .engine.guard import GateOptions
from .engine.models import ModelSpec
from .engine.options import DecodeOptions

# name (without "user.") -> (type, default, description)
SETTINGS: Dict[str, Tuple[type, Any, str]] = {
    "whisper_model": (str, "large-v3-turbo", "Whisper model: a name (large-v3-turbo, medium, base...) or a local CTranslate2 folder"),
    "whisper_model_dir": (str, "", "Folder where named models are downloaded and looked up (empty: the Hugging Face cache)"),
    "whisper_device": (str, "auto", "auto, cuda or cpu"),
    "whisper_compute_type": (str, "auto", "auto (float16 on CUDA, int8 on CPU), float16, int8_float16, int8, float32..."),
    "whisper_cpu_fallback_model": (str, "base", "Model used on the CPU when CUDA fails"),
    "whisper_cpu_threads": (int, 0, "CPU threads for Whisper (0 = half the cores, leaving the rest to Talon)"),
    "whisper_language": (str, "fr", "Language code (fr, en...) or auto"),
    "whisper_languages": (str, "fr,en", "With language auto: the languages detection may choose from"),
    "whisper_beam_size": (int, 5, "Beam size (1 = greedy, faster, less accurate)"),
    "whisper_best_of": (int, 5, "Candidates when sampling at a temperature above 0"),
    "whisper_patience": (float, 1.0, "Beam search patience"),
    "whisper_length_penalty": (float, 1.0, "Beam search length penalty"),
    "whisper_repetition_penalty": (float, 1.0, "Penalty on repeated tokens (1 = none)"),
    "whisper_no_repeat_ngram_size": (int, 0, "Forbid repeating n-grams of this size (0 = off)"),
    "whisper_temperature": (str, "0.0,0.2,0.4,0.6,0.8,1.0", "Temperatures tried in turn when a result is unsure"),
    "whisper_compression_ratio_threshold": (float, 2.4, "Above this, a result is too repetitive"),
    "whisper_log_prob_threshold": (float, -1.0, "Below this average log-probability, a result is unsure"),
    "whisper_no_speech_threshold": (float, 0.6, "Above this no-speech probability a phrase is not typed (no speech phrase of the dev corpus reaches 0.41)"),
    "whisper_initial_prompt": (str, "", "Text given to Whisper before every phrase (style, spelling)"),
    "whisper_hotwords": (str, "", "Words Whisper should expect (names, jargon)"),
    "whisper_min_window": (float, 0.0, "Shortest encoder window in seconds (0 = the full 30 s; 15 is 2-3x faster on a CPU but loses words)"),
    "whisper_vad": (bool, True, "Skip phrases without speech (Silero VAD) before Whisper"),
    "whisper_speech_threshold": (float, 0.04, "How sure Whisper must be that your language is spoken when it suspects no speech (0 = never asked; higher refuses more songs and sounds, and sooner a short word said alone)"),
    "whisper_word_timestamps": (bool, False, "Compute word timestamps (slower: uses faster-whisper's full path)"),
    "whisper_auto_stop": (float, 0.0, "Seconds without speech before dictation stops by itself (0 = never)"),
    "whisper_max_phrase": (float, 60.0, "Longest phrase in seconds; longer ones are refused and kept for retry"),
    "whisper_max_backlog": (float, 60.0, "Seconds of speech waiting for Whisper before dictation stops to let it catch up"),
    "whisper_overlay": (bool, True, "Show the status overlay while dictating"),
    "whisper_max_latency_ms": (int, 500, "Warn in the log when a phrase takes longer than this"),
    "whisper_max_vram_gb": (float, 10.0, "Warn in the log when GPU memory in use exceeds this (0 = never)"),
    "whisper_hotkey_in_sleep": (bool, False, "Let Win+Shift+V start dictation from sleep mode"),
    "whisper_type_delay_ms": (int, 300, "After the hotkey, wait this long before typing (modifiers released)"),
    "whisper_spoken_punctuation": (bool, True, "Say 'virgule', 'à la ligne', 'comma', 'new line'... to type punctuation"),
    "whisper_join_pause": (float, 0.0, "A phrase said within this many seconds of the previous one is heard with it, so a sentence cut by a pause reads as one; a phrase's closing mark waits as long for the next (0 = off)"),
    "whisper_context_chars": (int, 0, "How much of what this dictation typed is given to Whisper as context for the next phrase, in characters (0 = none)"),
    "whisper_french_spacing": (bool, True, "French typography: a no-break space before ; : ! ? in French text"),
    "whisper_history_file": (str, "", "Where every transcription is kept (empty: superwhisper2/history.jsonl in Talon's home)"),
}


@dataclass(frozen=True)
class PluginOptions:
    """What the Talon-facing layer itself needs."""

    auto_stop: float = 0.0
    max_backlog: float = 60.0
    overlay: bool = True
    max_latency_ms: int = 500
    max_vram_gb: float = 10.0
    hotkey_in_sleep: bool = False
    type_delay: float = 0.3
    history_file: str = ""
    spoken_punctuation: bool = True
    french_spacing: bool = True
    join_pause: float = 0.0
    context_chars: int = 0


@dataclass(frozen=True)
class Options:
    model: ModelSpec
    decode: DecodeOptions
    plugin: PluginOptions


class SettingsUnavailable(RuntimeError):
    """Talon does not know our settings right now (plugin.py is being reloaded)."""


class Settings:
    """The settings as last read where the user's own files apply.

    A .talon file without a mode line is active in command mode only (TALON_FACTS, sure): the
    settings are read again only in command mode and not while dictating, and are `known` once
    read there (or where Talon cannot say which mode is on).
    """

    def __init__(self) -> None:
        self.options: Optional[Options] = None
        self.known = False

    def read(self, get: Callable[[str], Any], command: Optional[bool], listening: bool,
             poll: bool) -> Tuple[Options, bool]:
        """(the options, whether they were read again): read again if this is the place. `poll`:
        only when Talon says command mode is on."""
        if self.options is not None and (listening or command is False or (poll and command is None)):
            return self.options, False
        try:
            options = read_options(get)
        except SettingsUnavailable:
            if self.options is None:
                raise
            return self.options, False
        self.options, self.known = options, self.known or command is not False
        return options, True


def read_options(get: Callable[[str], Any]) -> Options:
    """Read every setting through `get("user.whisper_...")`; bad values fall back to defaults.

    Raises SettingsUnavailable when a setting is not declared: defaults then would look like
    a change of model.
    """
    values = {name: _value(get, name, kind, default) for name, (kind, default, _) in SETTINGS.items()}
    model = ModelSpec(
        model=values["whisper_model"].strip() or SETTINGS["whisper_model"][1],
        model_dir=values["whisper_model_dir"].strip() or None,
        device=values["whisper_device"].strip().lower(),
        compute_type=values["whisper_compute_type"].strip().lower(),
        cpu_fallback_model=values["whisper_cpu_fallback_model"].strip() or "base",
        cpu_threads=max(0, values["whisper_cpu_threads"]),
    )
    language = values["whisper_language"].strip().lower()
    decode = DecodeOptions(
        language=None if language in ("", "auto") else language,
        languages=tuple(code.strip().lower() for code in values["whisper_languages"].split(",") if code.strip()),
        beam_size=max(1, values["whisper_beam_size"]),
        best_of=max(1, values["whisper_best_of"]),
        patience=values["whisper_patience"],
        length_penalty=values["whisper_length_penalty"],
        repetition_penalty=values["whisper_repetition_penalty"],
        no_repeat_ngram_size=max(0, values["whisper_no_repeat_ngram_size"]),
        temperature=parse_temperatures(values["whisper_temperature"]),
        compression_ratio_threshold=values["whisper_compression_ratio_threshold"],
        log_prob_threshold=values["whisper_log_prob_threshold"],
        no_speech_threshold=values["whisper_no_speech_threshold"],
        initial_prompt=values["whisper_initial_prompt"].strip() or None,
        hotwords=values["whisper_hotwords"].strip() or None,
        word_timestamps=values["whisper_word_timestamps"],
        min_window=0.0 if values["whisper_min_window"] <= 0 else min(30.0, max(1.0, values["whisper_min_window"])),
        vad=values["whisper_vad"],
        speech_threshold=min(0.5, max(0.0, values["whisper_speech_threshold"])),
        gate=GateOptions(),
        max_seconds=max(1.0, values["whisper_max_phrase"]),
    )
    plugin = PluginOptions(
        auto_stop=max(0.0, values["whisper_auto_stop"]),
        max_backlog=max(5.0, values["whisper_max_backlog"]),
        overlay=values["whisper_overlay"],
        max_latency_ms=values["whisper_max_latency_ms"],
        max_vram_gb=values["whisper_max_vram_gb"],
        hotkey_in_sleep=values["whisper_hotkey_in_sleep"],
        type_delay=max(0, values["whisper_type_delay_ms"]) / 1000,
        history_file=values["whisper_history_file"].strip(),
        spoken_punctuation=values["whisper_spoken_punctuation"],
        french_spacing=values["whisper_french_spacing"],
        join_pause=min(30.0, max(0.0, values["whisper_join_pause"])),
        context_chars=max(0, values["whisper_context_chars"]),
    )
    return Options(model, decode, plugin)


def _value(get: Callable[[str], Any], name: str, kind: type, default: Any) -> Any:
    try:
        value = get(f"user.{name}")
    except Exception as error:
        raise SettingsUnavailable(f"user.{name} cannot be read: {error}") from error
    if value is None:
        return default
    try:
        if kind is bool and isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return kind(value)
    except (TypeError, ValueError):
        return default


def parse_temperatures(text: str) -> Tuple[float, ...]:
    """"0.0,0.2,0.4" -> (0.0, 0.2, 0.4); anything unreadable -> (0.0,)."""
    try:
        values = tuple(float(part) for part in str(text).split(",") if part.strip())
    except ValueError:
        return (0.0,)
    return tuple(value for value in values if 0.0 <= value <= 2.0) or (0.0,)


TEMPLATE_HEAD = """\
# superwhisper2's settings, each with its default (declared in options.py, applied by Talon).
# Nothing here is active: uncomment a line (and `settings():`) to change it for every mode,
# or set it in a .talon file of your own. A file of yours without a `mode:` line applies in
# command mode, which is where dictation starts: superwhisper2 reads its settings when you
# press Win+Shift+V (or say "whisper start") and keeps them until "whisper stop".
mode: all
-
# settings():"""


def settings_template() -> str:
    """settings.talon's text: every setting as a comment with its default (a test keeps the file so)."""
    lines: List[str] = [TEMPLATE_HEAD]
    for name, (kind, default, desc) in SETTINGS.items():
        lines += [f"#     # {part}" for part in textwrap.wrap(desc, 92)]
        value = f'"{default}"' if kind is str else (int(default) if kind is bool else default)
        lines.append(f"#     user.{name} = {value}")
    return "\n".join(lines) + "\n"
