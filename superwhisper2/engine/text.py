"""Turning Whisper's text into what the user meant to type.

Joining phrases (spacing only, capitals as Whisper wrote them), the user's replacements,
spoken punctuation in French and English, and French typography.
"""

from __future__ import annotations

import re
from typing import Dict, Tuple

MARKS = ".,;:!?…"  # what may close a phrase: held back until the next phrase says whether the sentence goes on
SENTENCE_ENDS = ".!?…"
# Punctuation that sticks to the word before it (no space in front).
_CLOSING = tuple(MARKS + ")]}%»”'’")
_OPENING = tuple("([{«“¿¡")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace but line breaks
NBSP = "\u00a0"

# Spoken punctuation: (words, what to type, unambiguous at the end of a phrase?)
_SPOKEN: Tuple[Tuple[str, str, bool], ...] = (
    ("point d'interrogation", "?", True), ("point d'exclamation", "!", True), ("point virgule", ";", True),
    ("deux points", ":", True), ("à la ligne", "\n", True), ("nouveau paragraphe", "\n\n", True),
    ("virgule", ",", True), ("point", ".", False),
    ("question mark", "?", True), ("exclamation mark", "!", True), ("exclamation point", "!", True),
    ("new paragraph", "\n\n", True), ("new line", "\n", True), ("semicolon", ";", True), ("full stop", ".", True),
    ("comma", ",", True), ("period", ".", False), ("colon", ":", False),
)
_TRAILING = MARKS + " "


def clean(text: str) -> str:
    """Single spaces, no spaces around line breaks, nothing at either end but line breaks."""
    text = _SPACES.sub(" ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    return text.strip(" ")


def join(before: str, text: str, french: bool = False) -> str:
    """What to type after `before` (what this dictation typed last) so that `text` follows naturally.

    One space between phrases, none before closing punctuation (French: a no-break space
    before ; : ! ?), none after an opening bracket or a line break.
    """
    text = clean(text)
    if not text:
        return ""
    if french:
        text = french_spacing(text)
    if not before or before[-1].isspace() or before.endswith(_OPENING) or text.startswith("\n"):
        return text.lstrip(NBSP) if not before or before[-1] in "\n" else text
    if text.startswith(_CLOSING) or text.startswith(NBSP):
        return text
    return " " + text


def french_spacing(text: str) -> str:
    """French typography: a no-break space before ; : ! ? (and none doubled)."""
    return re.sub(r"[ \u00a0\u202f]*([;:!?])", NBSP + r"\1", text).replace(NBSP + NBSP, NBSP)


def replace_words(text: str, replacements: Dict[str, str]) -> str:
    """Whole words or phrases, case-insensitively; a capital at the start of the match is kept."""
    for spoken, written in sorted(replacements.items(), key=lambda item: -len(item[0])):
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, spoken.split())) + r"(?!\w)", re.IGNORECASE)

        def keep_case(match: "re.Match[str]", written: str = written) -> str:
            found = match.group(0)
            if found.isupper() and len(found) > 1:
                return written.upper()
            if found[:1].isupper() and written[:1].islower():
                return written[:1].upper() + written[1:]
            return written

        text = pattern.sub(keep_case, text)
    return text


def spoken_punctuation(text: str) -> str:
    """A phrase that is, or ends with, a punctuation command becomes that punctuation.

    Only a whole phrase or its end counts (Talon cuts phrases at pauses, where one says such
    commands); "point", "period" and "colon" only as the whole phrase, since they end ordinary
    sentences too ("au point"). Whisper's own punctuation around the command is not doubled.
    """
    body = text.strip()
    bare = body.rstrip(_TRAILING).strip()
    lowered = bare.lower().replace("’", "'").replace("-", " ")
    for words, mark, at_end in _SPOKEN:
        if lowered == words:
            return mark
        if lowered.endswith(" " + words):
            head = bare[: len(bare) - len(words)].rstrip()
            if at_end or head.endswith(tuple(MARKS)):  # after a pause Whisper marked, "point" is a command
                return head.rstrip(_TRAILING) + mark
    return text
