"""One phrase of audio in, its text out, as fast as Whisper allows.

Whisper pads every input to 30 s; CTranslate2's encoder accepts shorter inputs, so a 5 s
phrase is encoded in a window of `max(min_window, speech + margin)` seconds instead. When the
short-window result looks broken (no end of text, a loop, a compression ratio over the
threshold, nothing where the VAD heard speech) the phrase is decoded again with the full
30 s window. The language is detected from the same encoder output (faster-whisper 1.2.1
would encode twice), restricted to the user's languages.
"""

from __future__ import annotations

import logging
import math
import re
import time
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import guard
from .audio import SAMPLE_RATE, load_audio
from .errors import ModelError
from .models import LoadedModel

log = logging.getLogger("superwhisper2")

FULL_WINDOW = 30.0
MAX_MODEL_LENGTH = 448  # Whisper's decoder positions
MAX_PROMPT_TOKENS = MAX_MODEL_LENGTH // 2 - 1
JOIN_MAX_SECONDS = 20.0  # the previous phrase and this one, heard together, fit one short window
SENTENCE_MARKS = ".,;:!?…"  # what may end a phrase and be corrected when the next one continues it
_LEADING_MARKS = re.compile(r"^\s*([.,;:!?…]*)\s*")


@dataclass(frozen=True)
class DecodeOptions:
    """Every decoding knob, with defaults measured on short dictated phrases (docs/BENCHMARKS.md)."""

    language: Optional[str] = "fr"  # None or "auto": detect, within `languages` when given
    languages: Tuple[str, ...] = ()
    preferred_language: Optional[str] = None  # when detecting: kept unless another wins clearly
    beam_size: int = 5  # measured: beam 5 is right on every cut of the shared phrases; 1-2 flip words
    best_of: int = 5  # candidates when sampling at a temperature above 0
    patience: float = 1.0
    length_penalty: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    temperature: Tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: Optional[float] = 2.4
    log_prob_threshold: Optional[float] = -1.0
    no_speech_threshold: Optional[float] = 0.6
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None
    prepend_punctuations: str = "\"'“¿([{-"
    append_punctuations: str = "\"'.。,，!！?？:：”)]}、"
    word_timestamps: bool = False  # uses faster-whisper's own (full-window) path when on
    suppress_blank: bool = True
    short_window: bool = True
    min_window: float = 5.0  # seconds; see docs/BENCHMARKS.md for the measurement
    window_margin: float = 1.0  # silence after the speech: without it the decoder may loop
    vad: bool = True
    trim_silence: bool = False  # cutting the silence before speech costs accuracy (measured)
    gate: guard.GateOptions = guard.GateOptions()
    max_seconds: float = 120.0


@dataclass(frozen=True)
class Previous:
    """The phrase before this one, heard again with it so that a sentence cut by a pause reads as one."""

    samples: np.ndarray
    text: str  # what Whisper wrote for it
    language: str


@dataclass
class Transcript:
    """What Whisper heard in one phrase, and what it cost."""

    text: str
    language: str
    audio_seconds: float
    language_probability: float = 1.0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    speech_seconds: float = 0.0
    window_seconds: float = 0.0
    temperature: float = 0.0
    full_window_retry: bool = False
    dropped: Optional[str] = None  # why the text was dropped ("no speech", "hallucination"...)
    # Heard together with the previous phrase: the punctuation that phrase should end with
    # ("" for none); `text` is then only what follows it. None when heard alone.
    boundary: Optional[str] = None
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"

    @property
    def confidence(self) -> float:
        """exp(average log-probability per token): 1 is certain."""
        return math.exp(self.avg_logprob) if self.avg_logprob > -50 else 0.0


@dataclass
class _Decoded:
    tokens: List[int]
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float
    language: str
    language_probability: float
    hit_limit: bool
    glued: bool = False  # after forced text: the first token continues its last word


def transcribe(
    model: LoadedModel,
    audio: Any,
    options: DecodeOptions = DecodeOptions(),
    prompt: Optional[str] = None,
    previous: Optional[Previous] = None,
) -> Transcript:
    """Transcribe one phrase. `prompt` is text already typed before it (context); with
    `previous`, the phrase before it is heard again with it (see `_continue_previous`), and
    `prompt` must then end before that phrase's text.

    Raises AudioError for unusable audio and ModelError when the model cannot run.
    """
    started = time.perf_counter()
    samples = load_audio(audio, max_seconds=options.max_seconds)
    timings: Dict[str, float] = {}
    audio_seconds = samples.size / SAMPLE_RATE
    language = _fixed_language(model, options.language)

    span = guard.SpeechSpan(0, samples.size, audio_seconds)
    if options.vad:
        tick = time.perf_counter()
        span = guard.find_speech(samples, options.gate)
        timings["vad"] = time.perf_counter() - tick
        if span.empty:
            timings["total"] = time.perf_counter() - started
            return Transcript("", language or "", audio_seconds, dropped="no speech", timings=timings)
        if options.trim_silence:
            samples = samples[span.start:span.end]

    result: Optional[Transcript] = None
    if previous is not None and not options.word_timestamps:
        try:
            result = _continue_previous(model, samples, options, language, prompt, previous, span, timings)
        except ModelError:
            raise  # the model went away: the caller waits for the next one
        except Exception as error:  # heard alone below, where a real device fault is raised again
            log.warning("hearing the phrase with the previous one failed (%s: %s): hearing it alone",
                        type(error).__name__, error)
    if result is None and options.word_timestamps:
        result = _transcribe_with_faster_whisper(model, samples, options, language, prompt, timings)
    elif result is None:
        context = " ".join(part.strip() for part in (prompt, previous.text if previous else None) if part) or None
        result = _transcribe_samples(model, samples, options, language, context, span, timings)
    result.audio_seconds = audio_seconds
    result.speech_seconds = span.speech_seconds
    _apply_gates(result, options)
    timings["total"] = time.perf_counter() - started
    result.timings = timings
    return result


def _fixed_language(model: LoadedModel, language: Optional[str]) -> Optional[str]:
    if not model.multilingual:
        return "en"
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


def _transcribe_samples(
    model: LoadedModel,
    samples: np.ndarray,
    options: DecodeOptions,
    language: Optional[str],
    prompt: Optional[str],
    span: guard.SpeechSpan,
    timings: Dict[str, float],
) -> Transcript:
    pieces = _split_long(samples)
    texts: List[str] = []
    decoded: Optional[_Decoded] = None
    windows: List[float] = []
    retried = False
    for piece in pieces:
        context = " ".join(part for part in (prompt, *texts) if part) or None
        window = _window_seconds(piece.size / SAMPLE_RATE, options)
        # A short window gets one greedy/beam pass: when unsure, the full window decides (cheaper
        # and steadier than sampling at higher temperatures in the wrong window).
        first = replace(options, temperature=options.temperature[:1]) if window < FULL_WINDOW else options
        decoded = _decode_window(model, piece, window, first, language, context, timings)
        if window < FULL_WINDOW and _looks_broken(decoded, options, span):
            log.info("short window (%.0f s) gave %r: decoding again with the full window", window, decoded.text[:80])
            retried = True
            window = FULL_WINDOW
            decoded = _decode_window(model, piece, window, options, language, context, timings, "_retry")
        windows.append(window)
        language = language or decoded.language  # keep the first piece's language for the rest
        if decoded.text:
            texts.append(decoded.text)
    assert decoded is not None
    return Transcript(
        text=" ".join(texts),
        language=decoded.language,
        audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=decoded.language_probability,
        avg_logprob=decoded.avg_logprob,
        no_speech_prob=decoded.no_speech_prob,
        compression_ratio=decoded.compression_ratio,
        window_seconds=max(windows),
        temperature=decoded.temperature,
        full_window_retry=retried,
    )


def _continue_previous(
    model: LoadedModel,
    samples: np.ndarray,
    options: DecodeOptions,
    language: Optional[str],
    context: Optional[str],
    previous: Previous,
    span: guard.SpeechSpan,
    timings: Dict[str, float],
) -> Optional[Transcript]:
    """Hear the previous phrase and this one as one stretch of speech, the previous phrase's
    words forced as the start of the text, so Whisper writes only what follows, punctuated as
    the whole sentence calls for (measured: a sentence cut at its pauses then reads as one,
    and fewer words are wrong, docs/BENCHMARKS.md). None when this does not apply or the
    result looks broken: the phrase is then heard alone.
    """
    prefix = previous.text.strip().rstrip(SENTENCE_MARKS + " ")
    joined = np.concatenate([previous.samples, samples])
    if not prefix or joined.size > JOIN_MAX_SECONDS * SAMPLE_RATE:
        return None
    probability = 1.0
    if language is None:  # detected on this phrase's own audio: the previous one would sway it
        window = _window_seconds(samples.size / SAMPLE_RATE, options)
        whisper = model.whisper
        encoded = _encode(model, samples, window, timings, "_language")
        if whisper is None or model.whisper is not whisper:
            raise ModelError("the model was released while a phrase was waiting for it")
        with model.lock:
            language, probability = _detect_language(whisper, encoded, options.languages, previous.language)
    if language != previous.language:
        return None  # another language: not the same sentence
    window = _window_seconds(joined.size / SAMPLE_RATE, options)
    first = replace(options, temperature=options.temperature[:1])
    decoded = _decode_window(model, joined, window, first, language, context, timings, "_joined", prefix,
                             samples.size / SAMPLE_RATE)
    if _looks_broken(decoded, options, span) or _echoes(decoded.text, prefix) or decoded.glued:
        # Glued: the text goes on inside the forced last word. Talon cuts phrases at pauses, not
        # inside words; measured, this is Whisper bending a short phrase ("whisper stop" after a
        # French sentence) into the end of the previous one ("forêts" + "es").
        log.info("heard with the previous phrase, this gave %r: hearing it alone", decoded.text[:80])
        return None
    mark = _LEADING_MARKS.match(decoded.text)
    assert mark is not None  # the pattern matches any text
    if not decoded.text[mark.end():]:
        return None  # a mark alone: whether this phrase said anything is for it alone to tell
    return Transcript(
        text=decoded.text[mark.end():], language=language, audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=probability, avg_logprob=decoded.avg_logprob, no_speech_prob=decoded.no_speech_prob,
        compression_ratio=decoded.compression_ratio, window_seconds=window, temperature=decoded.temperature,
        boundary=mark.group(1),
    )


def _echoes(text: str, prefix: str) -> bool:
    """Whisper wrote the forced words again (it does when this phrase adds nothing it can hear)."""
    head = guard.normalise(prefix).split()[:4]
    return bool(head) and guard.normalise(text).split()[: len(head)] == head


def _window_seconds(seconds: float, options: DecodeOptions) -> float:
    if not options.short_window:
        return FULL_WINDOW
    window = max(options.min_window, math.ceil(seconds + options.window_margin))
    return min(FULL_WINDOW, float(window))


def _split_long(samples: np.ndarray, limit: float = FULL_WINDOW - 2.0) -> List[np.ndarray]:
    """Pieces short enough for one window, cut at the quietest 100 ms of each piece's last 5 s."""
    pieces: List[np.ndarray] = []
    limit_samples = int(limit * SAMPLE_RATE)
    hop = SAMPLE_RATE // 10
    while samples.size > limit_samples:
        search = samples[limit_samples - 5 * SAMPLE_RATE:limit_samples]
        frames = search[: search.size // hop * hop].reshape(-1, hop)
        quietest = int(np.argmin(np.einsum("ij,ij->i", frames, frames)))
        cut = limit_samples - 5 * SAMPLE_RATE + quietest * hop + hop // 2
        pieces.append(samples[:cut])
        samples = samples[cut:]
    pieces.append(samples)
    return pieces


def _encode(model: LoadedModel, samples: np.ndarray, window: float, timings: Dict[str, float], suffix: str = "") -> Any:
    """The encoder output for `samples` in a window of `window` seconds."""
    import ctranslate2

    whisper = model.whisper
    if whisper is None:
        raise ModelError("the model was released while a phrase was waiting for it")
    tick = time.perf_counter()
    features = whisper.feature_extractor(samples)[:, :-1]  # the last frame is padding (as faster-whisper)
    frames = int(window * 100)
    if features.shape[-1] < frames:
        features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
    features = np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)
    _add(timings, "features" + suffix, time.perf_counter() - tick)
    with model.lock:
        tick = time.perf_counter()
        encoded = whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)
        _add(timings, "encoder" + suffix, time.perf_counter() - tick)
    return encoded


def _decode_window(
    model: LoadedModel,
    samples: np.ndarray,
    window: float,
    options: DecodeOptions,
    language: Optional[str],
    context: Optional[str],
    timings: Dict[str, float],
    suffix: str = "",
    prefix: str = "",
    new_seconds: Optional[float] = None,
) -> _Decoded:
    """Encode and decode `samples`; with `prefix`, the text must start with it and only what
    follows (`new_seconds` of the audio, at its end) is returned."""
    whisper = model.whisper
    encoded = _encode(model, samples, window, timings, suffix)
    if whisper is None or model.whisper is not whisper:
        raise ModelError("the model was released while a phrase was waiting for it")
    with model.lock:
        language_probability = 1.0
        if language is None:
            tick = time.perf_counter()
            language, language_probability = _detect_language(
                whisper, encoded, options.languages, options.preferred_language)
            _add(timings, "language" + suffix, time.perf_counter() - tick)

        tick = time.perf_counter()
        tokenizer = _tokenizer(whisper, language)
        prompt = _prompt(tokenizer, options, context)
        forced = tokenizer.encode(" " + prefix) if prefix else []
        seconds = samples.size / SAMPLE_RATE if new_seconds is None else new_seconds
        wanted = 16 + int(12 * seconds)  # generous for speech; a loop stops early
        decoded = _generate_with_fallback(whisper, encoded, prompt, tokenizer, options, wanted, forced)
        _add(timings, "decoder" + suffix, time.perf_counter() - tick)
    decoded.language = language
    decoded.language_probability = language_probability
    return decoded


def _add(timings: Dict[str, float], stage: str, seconds: float) -> None:
    timings[stage] = timings.get(stage, 0.0) + seconds


SWITCH_PROBABILITY = 0.8  # how sure detection must be to leave the language kept so far


def _detect_language(whisper: Any, encoded: Any, allowed: Sequence[str],
                     preferred: Optional[str] = None) -> Tuple[str, float]:
    """The most likely language from the encoder output already computed, within `allowed`;
    `preferred` (the language of earlier phrases) stays unless another wins clearly."""
    ranked = [(token[2:-2], float(p)) for token, p in whisper.model.detect_language(encoded)[0]]
    wanted = {code.strip().lower() for code in allowed if code.strip()}
    candidates = [(code, p) for code, p in ranked if not wanted or code in wanted] or ranked[:1]
    top, probability = candidates[0]
    if preferred and top != preferred and probability < SWITCH_PROBABILITY:
        return preferred, dict(ranked).get(preferred, 0.0)
    return top, probability


def _tokenizer(whisper: Any, language: str) -> Any:
    cache = whisper.__dict__.setdefault("_superwhisper2_tokenizers", {})
    tokenizer = cache.get(language)
    if tokenizer is None:
        from faster_whisper.tokenizer import Tokenizer

        tokenizer = Tokenizer(whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe", language=language)
        cache[language] = tokenizer
    return tokenizer


def _prompt(tokenizer: Any, options: DecodeOptions, context: Optional[str]) -> List[int]:
    """[<|startofprev|> hotwords previous-text] <|startoftranscript|> <|lang|> <|transcribe|> <|notimestamps|>."""
    previous_text = " ".join(part.strip() for part in (options.initial_prompt, context) if part and part.strip())
    hotwords = (options.hotwords or "").strip()
    prompt: List[int] = []
    if previous_text or hotwords:
        prompt.append(tokenizer.sot_prev)
        budget = MAX_PROMPT_TOKENS
        if hotwords:
            hot = tokenizer.encode(" " + hotwords)[: budget // 2]
            prompt.extend(hot)
            budget -= len(hot)
        if previous_text:
            prompt.extend(tokenizer.encode(" " + previous_text)[-budget:])  # the most recent text
    prompt.extend(tokenizer.sot_sequence)
    prompt.append(tokenizer.no_timestamps)
    return prompt


def generation_budget(prompt_length: int, wanted: int) -> Tuple[int, int]:
    """(max_length to pass, most new tokens it allows) for ctranslate2's Whisper.generate.

    Measured on ctranslate2 4.8.5: generation stops after min(max_length - prompt + 1,
    max_length // 2) new tokens, so max_length is chosen to allow `wanted` where the model's
    448 positions permit; a result of that many tokens never reached its end of text.
    """
    max_length = min(MAX_MODEL_LENGTH, max(prompt_length + wanted, 2 * wanted))
    return max_length, max(1, min(max_length - prompt_length + 1, max_length // 2))


def _generate_with_fallback(
    whisper: Any, encoded: Any, prompt: List[int], tokenizer: Any, options: DecodeOptions, wanted: int,
    forced: Sequence[int] = (),
) -> _Decoded:
    """Decode at the first temperature; retry hotter when the result is repetitive or unsure.

    `forced` tokens start the text (measured on ctranslate2 4.8.5: they come back at the start
    of the sequence and count towards its length); only the tokens after them are returned.
    After forced text that ends a sentence, the best-scored hypothesis is often that mark and
    nothing more (measured: "." over ". And so my fellow Americans..."), so the best one with
    words is taken: the caller knows the audio after the forced text holds speech.
    """
    forced = list(forced)
    max_length, limit = generation_budget(len(prompt), wanted + len(forced))
    candidates: List[_Decoded] = []
    for temperature in options.temperature or (0.0,):
        if temperature > 0:
            kwargs: Dict[str, Any] = {
                "beam_size": 1, "num_hypotheses": max(1, options.best_of),
                "sampling_topk": 0, "sampling_temperature": temperature,
            }
        else:
            kwargs = {"beam_size": max(1, options.beam_size), "patience": options.patience}
            if forced:
                kwargs["num_hypotheses"] = kwargs["beam_size"]
        result = whisper.model.generate(
            encoded,
            [prompt + forced],
            length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=options.suppress_blank,
            suppress_tokens=[-1],
            **kwargs,
        )[0]
        best = _with_words(result.sequences_ids, len(forced), tokenizer) if forced and temperature == 0 else 0
        sequence = result.sequences_ids[best]
        tokens = [token for token in sequence[len(forced):] if token < tokenizer.eot]
        length = len(sequence)
        avg_logprob = result.scores[best] * (length ** options.length_penalty) / (length + 1)
        spelled = tokenizer.decode(tokens)
        text = spelled.strip()
        decoded = _Decoded(
            tokens, text, float(avg_logprob), float(result.no_speech_prob), compression_ratio(text),
            temperature, "", 1.0, hit_limit=length >= limit,
            glued=bool(forced) and spelled[:1].isalnum(),
        )
        candidates.append(decoded)
        too_repetitive = (
            options.compression_ratio_threshold is not None
            and decoded.compression_ratio > options.compression_ratio_threshold
        )
        unsure = _unsure(decoded.avg_logprob, options)
        if (unsure and _silent(decoded.no_speech_prob, options)) or not (too_repetitive or unsure):
            return decoded
    return max(candidates, key=lambda candidate: (not candidate.hit_limit, candidate.avg_logprob))


def _with_words(sequences: List[List[int]], skip: int, tokenizer: Any) -> int:
    """The index of the first (best) hypothesis that writes a word after its first `skip` tokens."""
    for index, sequence in enumerate(sequences):
        if any(character.isalnum() for character in tokenizer.decode([t for t in sequence[skip:] if t < tokenizer.eot])):
            return index
    return 0


def _unsure(avg_logprob: float, options: DecodeOptions) -> bool:
    """Below the log-probability threshold: Whisper was not sure of its words."""
    return options.log_prob_threshold is not None and avg_logprob < options.log_prob_threshold


def _silent(no_speech_prob: float, options: DecodeOptions, share: float = 1.0) -> bool:
    """Above (`share` of) the no-speech threshold: Whisper thinks nobody spoke."""
    return options.no_speech_threshold is not None and no_speech_prob > options.no_speech_threshold * share


def compression_ratio(text: str) -> float:
    """Bytes over zlib-compressed bytes: high for repetitive text."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _looks_broken(decoded: _Decoded, options: DecodeOptions, span: guard.SpeechSpan) -> bool:
    """Signs that a short window misled the decoder, so the full window should decide."""
    if decoded.hit_limit or guard.repeats_itself(decoded.tokens) or guard.is_repeated_block(decoded.tokens):
        return True
    if options.compression_ratio_threshold is not None and decoded.compression_ratio > options.compression_ratio_threshold:
        return True
    if _unsure(decoded.avg_logprob, options) and not _silent(decoded.no_speech_prob, options):
        return True  # unsure: garbage at the end of a cut window looks like this
    return not decoded.text and span.speech_seconds >= 0.5


def _apply_gates(result: Transcript, options: DecodeOptions) -> None:
    """Drop text that is silence or a known hallucination (faster-whisper's no-speech rule first)."""
    if not result.text:
        result.dropped = result.dropped or "empty"
        result.boundary = None
        return
    unsure = _unsure(result.avg_logprob, options)
    if unsure and _silent(result.no_speech_prob, options):
        result.dropped = "no speech"
    elif unsure and result.temperature > 0 and _silent(result.no_speech_prob, options, share=0.5):
        result.dropped = "unsure after every fallback"  # sampling invents text on noise
    elif guard.is_known_hallucination(result.text) and (
        result.avg_logprob < -0.5 or result.no_speech_prob > 0.2 or result.speech_seconds < 0.6
    ):
        result.dropped = "hallucination"
    if result.dropped:
        result.boundary = None  # nothing of this phrase is typed: the one before ends as it was
        log.info("dropped %r (%s): no-speech %.2f, log-prob %.2f", result.text, result.dropped,
                 result.no_speech_prob, result.avg_logprob)
        result.text = ""


def _transcribe_with_faster_whisper(
    model: LoadedModel,
    samples: np.ndarray,
    options: DecodeOptions,
    language: Optional[str],
    prompt: Optional[str],
    timings: Dict[str, float],
) -> Transcript:
    """Word timestamps need faster-whisper's alignment: use its own (full-window) path."""
    tick = time.perf_counter()
    initial = " ".join(part for part in (options.initial_prompt, prompt) if part) or None
    with model.lock:
        segments, info = model.whisper.transcribe(
            samples, language=language, beam_size=options.beam_size, best_of=options.best_of,
            patience=options.patience, length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            temperature=list(options.temperature), compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            initial_prompt=initial, hotwords=options.hotwords, word_timestamps=True,
            prepend_punctuations=options.prepend_punctuations, append_punctuations=options.append_punctuations,
            condition_on_previous_text=False, without_timestamps=False,
        )
        segments = list(segments)
    timings["decoder"] = time.perf_counter() - tick
    text = " ".join(segment.text.strip() for segment in segments).strip()
    logprob = float(np.mean([s.avg_logprob for s in segments])) if segments else 0.0
    return Transcript(
        text=text, language=info.language, audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=float(info.language_probability), avg_logprob=logprob,
        no_speech_prob=max((s.no_speech_prob for s in segments), default=0.0),
        compression_ratio=compression_ratio(text), window_seconds=FULL_WINDOW,
    )
