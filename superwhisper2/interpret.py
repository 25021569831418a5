"""What the user meant by what Whisper heard: pure text logic, tested without audio.

Commands said to Whisper ("whisper stop", alone or at the end of a phrase), spoken
punctuation ("virgule", "new line"), the user's replacements, and the mark a phrase said
on its own gives to the phrase before it.
"""

from __future__ import annotations

import difflib
from typing import Dict, Optional, Tuple

from .engine.guard import normalise
from .engine.text import MARKS, replace_words, spoken_punctuation
from .phrases import Meaning

# The commands that act even when only Whisper hears them (dictation.talon binds them for Talon too)
COMMANDS = {"whisper stop": "stop", "whisper cancel": "cancel", "whisper undo": "undo"}
NEAR = 0.6  # how close a short text must be to a command to be heard again without context


def command_at_end(text: str) -> Tuple[str, Optional[str]]:
    """(text before, command) when `text` is a command or ends with one ("…, whisper stop.");
    (text, None) otherwise. Only an exact command counts."""
    words = text.split()
    while words and not normalise(words[-1]):
        words.pop()  # marks after the command, French-spaced or not ("Whisper stop !")
    for phrase, command in COMMANDS.items():
        size = len(phrase.split())
        if len(words) >= size and normalise(" ".join(words[-size:])) == phrase:
            return " ".join(words[:-size]).rstrip(" ,;:"), command
    return text, None


def near_command(text: str) -> bool:
    """A short text that may be a command misheard through context ("Whistler stop")."""
    said = normalise(text)
    if not said or said in COMMANDS or len(said.split()) > 4:
        return False
    return max(difflib.SequenceMatcher(None, said, command).ratio() for command in COMMANDS) >= NEAR


def interpret(text: str, replacements: Dict[str, str], punctuation: bool) -> Meaning:
    """Whisper's text → what to type and do."""
    text, command = command_at_end(text)
    text = replace_words(text, replacements)
    if not punctuation or not text:
        return Meaning(text, command)
    typed = spoken_punctuation(text)
    if typed == text:
        return Meaning(text, command)
    return Meaning(typed, command, mark_alone=len(typed) == 1 and typed in MARKS, breaks_sentence=True)


def trailing_words(words: list, commands: Dict[str, str]) -> Tuple[int, Optional[str]]:
    """Talon's words for an utterance that ends with one of `commands` (its phrase → action):
    (index of the command's first word, its phrase); (len(words), None) when it does not."""
    spoken = [normalise(str(word)) for word in words]
    for phrase in sorted(commands, key=lambda p: -len(p.split())):
        size = len(phrase.split())
        if 0 < size < len(spoken) and " ".join(spoken[-size:]) == phrase:
            return len(spoken) - size, phrase
    return len(spoken), None

