"""A folder of recordings with their `transcripts.json`, and how their text is scored.

Transcripts are written as their sources wrote them ("25", "quatre-vingts", "pourcent",
"Mr."), Whisper writes its own way ("twenty-five", "80 %", "Mister"): both sides are
normalised the same way before jiwer counts words, so only real word errors count.
Talon imports this file too: it does nothing at import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
DEV_CORPUS = SHARED / "audio" / "dev"


@dataclass(frozen=True)
class Recording:
    """One file of a corpus: `language` None means no speech (nothing may be typed)."""

    path: Path
    language: Optional[str]
    text: str
    seconds: float

    @property
    def name(self) -> str:
        return self.path.name


def load(folder: Path = DEV_CORPUS) -> List[Recording]:
    """Every recording `folder/transcripts.json` lists, in its order."""
    entries = json.loads((folder / "transcripts.json").read_text(encoding="utf-8"))
    return [Recording(folder / name, entry.get("language") or None, _reference(entry.get("text") or ""),
                      float(entry.get("seconds") or 0.0))
            for name, entry in entries.items() if (folder / name).is_file()]


def _reference(text: str) -> str:
    return re.sub(r"\[[^\]]*\]", " ", text)  # editors' notes ("[original filename ...]") were not said


_ONES = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen".split(),
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept "
          "dix-huit dix-neuf".split(),
}
_TENS = {
    "en": ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
    "fr": ["", "", "vingt", "trente", "quarante", "cinquante", "soixante", "soixante", "quatre-vingt", "quatre-vingt"],
}
_WORDS = {
    "en": {"%": " percent ", "&": " and ", "mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"},
    "fr": {"%": " pour cent ", "&": " et ", "pourcent": "pour cent", "m": "monsieur", "mme": "madame"},
}


def number_words(number: int, language: str) -> str:
    """0 to 999 999 in words (English, else French): "1" and "one" must score as one word."""
    lang = "en" if language == "en" else "fr"
    if number < 20:
        return _ONES[lang][number]
    if number < 100:
        tens, unit = divmod(number, 10)
        if lang == "fr" and tens in (7, 9):
            return f"{_TENS[lang][tens]} {_ONES[lang][10 + unit]}"
        if not unit:
            return _TENS[lang][tens] + ("s" if lang == "fr" and tens == 8 else "")
        joiner = " et " if lang == "fr" and unit == 1 and tens < 8 else " "
        return f"{_TENS[lang][tens]}{joiner}{_ONES[lang][unit]}"
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = (f"{_ONES[lang][hundreds]} hundred" if lang == "en"
                else ("cent" if hundreds == 1 else f"{_ONES[lang][hundreds]} cent"))
        return head + (f" {number_words(rest, language)}" if rest else "")
    thousands, rest = divmod(number, 1000)
    head = "mille" if lang == "fr" and thousands == 1 else f"{number_words(thousands, language)} " + (
        "thousand" if lang == "en" else "mille")
    return head + (f" {number_words(rest, language)}" if rest else "")


def normalise(text: str, language: Optional[str]) -> str:
    """Lower case, numbers in words, no punctuation, hyphens and apostrophes as spaces."""
    lang = "en" if language == "en" else "fr"
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    for symbol in ("%", "&"):
        text = text.replace(symbol, _WORDS[lang][symbol])
    text = re.sub(r"(?<=\d)[ \u00a0\u202f,](?=\d{3}\b)", "", text)  # 1 000 / 1,000
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()), lang)} " if len(m.group()) < 7 else m.group(), text)
    text = re.sub(r"[-'‐–]", " ", text)
    text = re.sub(r"[^\w\s]", " ", text)
    words = [_WORDS[lang].get(word, word) for word in text.split()]
    return " ".join(" ".join(words).split())


def wer(references: Sequence[str], hypotheses: Sequence[str], language: Optional[str]) -> float:
    """Word error rate over a set of phrases (jiwer), after `normalise`."""
    import jiwer

    pairs = [(normalise(r, language), normalise(h, language)) for r, h in zip(references, hypotheses)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    return float(jiwer.wer([r for r, _ in pairs], [h or "<empty>" for _, h in pairs]))


def by_language(recordings: Sequence[Recording]) -> Dict[Optional[str], List[Recording]]:
    grouped: Dict[Optional[str], List[Recording]] = {}
    for recording in recordings:
        grouped.setdefault(recording.language, []).append(recording)
    return grouped
