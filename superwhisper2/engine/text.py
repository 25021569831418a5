"""Joining phrases into text that reads as one: spacing only, capitals as Whisper wrote them."""

from __future__ import annotations

import re

# Punctuation that sticks to the word before it (no space in front).
_CLOSING = tuple(".,;:!?)]}%…»”'’")
_OPENING = tuple("([{«“¿¡")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """One line of text with single spaces, as a phrase should be typed."""
    return _SPACE.sub(" ", text).strip()


def join(before: str, text: str) -> str:
    """What to type after `before` (what this dictation typed last) so that `text` follows naturally.

    One space between phrases, none before closing punctuation, none after an opening
    bracket or a line break; the text itself is not altered beyond collapsing spaces.
    """
    text = clean(text)
    if not text:
        return ""
    if not before or before[-1].isspace() or before.endswith(_OPENING) or text.startswith(_CLOSING):
        return text
    return " " + text
