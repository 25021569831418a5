"""Hearing audio in an encoder window: the features and the encoder, then decoder passes with the
prompt, the beam or sampling, the fallback to hotter temperatures, and the numbers that say how
sure Whisper was.

ctranslate2's `Whisper.encode` and `generate` are called directly (faster-whisper's `transcribe`
would encode again and cut the text into timed segments we do not need).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import guard
from .audio import SAMPLE_RATE
from .options import DecodeOptions, Request

MAX_MODEL_LENGTH = 448  # Whisper's decoder positions
MAX_PROMPT_TOKENS = MAX_MODEL_LENGTH // 2 - 1
SWITCH_PROBABILITY = 0.8  # how sure detection must be to leave the language kept so far


@dataclass
class Decoded:
    """One decoder pass's result."""

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
    passes: int = 1  # decoder passes it took (temperature fallbacks included)
    steps: int = 0  # decoder steps over those passes (tokens generated, each over the beam or samples)


def encode(request: Request, samples: np.ndarray, window: float, stage: str = "") -> Any:
    """The encoder output for `samples` in a window of `window` seconds."""
    import ctranslate2

    whisper = request.model.running()
    with request.timed("features" + stage):
        features = whisper.feature_extractor(samples)[:, :-1]  # the last frame is padding (as faster-whisper)
        frames = int(window * 100)
        if features.shape[-1] < frames:
            features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        features = np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)
    request.count("encoder_passes")
    request.count("encoded_seconds", int(window))
    with request.model.lock, request.timed("encoder" + stage):
        return whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)


def decode(request: Request, samples: np.ndarray, window: float, *, options: Optional[DecodeOptions] = None,
           stage: str = "", prefix: str = "", new_seconds: Optional[float] = None) -> "Decoded":
    """Encode and decode `samples`; with `prefix`, the text must start with it and only what
    follows (`new_seconds` of the audio, at its end) is returned."""
    options = options or request.options
    encoded = request.encoded = encode(request, samples, window, stage)
    whisper = request.model.running()
    with request.model.lock:
        language, probability = request.language, 1.0
        if language is None:
            request.count("language_detections")
            with request.timed("language" + stage):
                language, probability = detect_language(whisper, encoded, options.languages,
                                                        options.preferred_language)
        with request.timed("decoder" + stage):
            tokens = tokenizer(whisper, language)
            seconds = samples.size / SAMPLE_RATE if new_seconds is None else new_seconds
            decoded = generate(whisper, encoded, prompt=prompt(tokens, options, request.prompt), tokens=tokens,
                               options=options, wanted=16 + int(12 * seconds),  # generous; a loop stops early
                               forced=tokens.encode(" " + prefix) if prefix else [])
    decoded.language, decoded.language_probability = language, probability
    request.count("decoder_passes", decoded.passes)
    request.count("fallbacks", decoded.passes - 1)
    request.count("decoder_steps", decoded.steps)
    return decoded


def looks_broken(decoded: "Decoded", options: DecodeOptions, span: guard.SpeechSpan) -> bool:
    """Signs that a short window (or the phrase before, forced) misled the decoder."""
    if decoded.hit_limit or guard.repeats_itself(decoded.tokens) or guard.is_repeated_block(decoded.tokens):
        return True
    if too_repetitive(decoded.compression_ratio, options):
        return True
    if unsure(decoded.avg_logprob, options) and not silent(decoded.no_speech_prob, options):
        return True  # unsure: garbage at the end of a cut window looks like this
    return not decoded.text and span.speech_seconds >= 0.5


def language_probabilities(whisper: Any, encoded: Any) -> List[Tuple[str, float]]:
    """Every language code with its probability on the encoder output already computed, most
    likely first: one decoder step."""
    return [(token[2:-2], float(p)) for token, p in whisper.model.detect_language(encoded)[0]]


def detect_language(whisper: Any, encoded: Any, allowed: Sequence[str],
                    preferred: Optional[str] = None) -> Tuple[str, float]:
    """The most likely language from the encoder output already computed, within `allowed`;
    `preferred` (the language of earlier phrases) stays unless another wins clearly."""
    ranked = language_probabilities(whisper, encoded)
    wanted = {code.strip().lower() for code in allowed if code.strip()}
    candidates = [(code, p) for code, p in ranked if not wanted or code in wanted] or ranked[:1]
    top, probability = candidates[0]
    if preferred and top != preferred and probability < SWITCH_PROBABILITY:
        return preferred, dict(ranked).get(preferred, 0.0)
    return top, probability


def tokenizer(whisper: Any, language: str) -> Any:
    """faster-whisper's tokenizer for `language`, built once per model and language."""
    cache = whisper.__dict__.setdefault("_superwhisper2_tokenizers", {})
    found = cache.get(language)
    if found is None:
        from faster_whisper.tokenizer import Tokenizer

        found = Tokenizer(whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe", language=language)
        cache[language] = found
    return found


def prompt(tokens: Any, options: DecodeOptions, context: Optional[str]) -> List[int]:
    """[<|startofprev|> hotwords previous-text] <|startoftranscript|> <|lang|> <|transcribe|> <|notimestamps|>."""
    previous_text = " ".join(part.strip() for part in (options.initial_prompt, context) if part and part.strip())
    hotwords = (options.hotwords or "").strip()
    out: List[int] = []
    if previous_text or hotwords:
        out.append(tokens.sot_prev)
        budget = MAX_PROMPT_TOKENS
        if hotwords:
            hot = tokens.encode(" " + hotwords)[: budget // 2]
            out.extend(hot)
            budget -= len(hot)
        if previous_text:
            out.extend(tokens.encode(" " + previous_text)[-budget:])  # the most recent text
    out.extend(tokens.sot_sequence)
    out.append(tokens.no_timestamps)
    return out


def generation_budget(prompt_length: int, wanted: int) -> Tuple[int, int]:
    """(max_length to pass, most new tokens it allows) for ctranslate2's Whisper.generate.

    Measured on ctranslate2 4.8.5: generation stops after min(max_length - prompt + 1,
    max_length // 2) new tokens, so max_length is chosen to allow `wanted` where the model's
    448 positions permit; a result of that many tokens never reached its end of text.
    """
    max_length = min(MAX_MODEL_LENGTH, max(prompt_length + wanted, 2 * wanted))
    return max_length, max(1, min(max_length - prompt_length + 1, max_length // 2))


def generate(whisper: Any, encoded: Any, *, prompt: List[int], tokens: Any, options: DecodeOptions, wanted: int,
             forced: Sequence[int] = ()) -> Decoded:
    """Decode at the first temperature; retry hotter when the result is repetitive or unsure.

    `forced` tokens start the text (measured on ctranslate2 4.8.5: they come back at the start
    of the sequence and count towards its length); only the tokens after them are returned.
    After forced text that ends a sentence, the best-scored hypothesis is often that mark and
    nothing more (measured: "." over ". And so my fellow Americans..."), so the best one with
    words is taken: the caller knows the audio after the forced text holds speech.
    """
    forced = list(forced)
    max_length, limit = generation_budget(len(prompt), wanted + len(forced))
    candidates: List[Decoded] = []
    steps = 0
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
            encoded, [prompt + forced], length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            max_length=max_length, return_scores=True, return_no_speech_prob=True,
            suppress_blank=options.suppress_blank, suppress_tokens=[-1], **kwargs,
        )[0]
        best = _with_words(result.sequences_ids, len(forced), tokens) if forced and temperature == 0 else 0
        sequence = result.sequences_ids[best]
        kept = [token for token in sequence[len(forced):] if token < tokens.eot]
        length = len(sequence)
        steps += max(len(hypothesis) for hypothesis in result.sequences_ids) - len(forced)
        avg_logprob = result.scores[best] * (length ** options.length_penalty) / (length + 1)
        spelled = tokens.decode(kept)
        text = spelled.strip()
        decoded = Decoded(
            kept, text, float(avg_logprob), float(result.no_speech_prob), compression_ratio(text),
            temperature, "", 1.0, hit_limit=length >= limit, glued=bool(forced) and spelled[:1].isalnum(),
        )
        candidates.append(decoded)
        is_unsure = unsure(decoded.avg_logprob, options)
        if (is_unsure and silent(decoded.no_speech_prob, options)) or not (
                too_repetitive(decoded.compression_ratio, options) or is_unsure):
            break
    else:
        decoded = max(candidates, key=lambda candidate: (not candidate.hit_limit, candidate.avg_logprob))
    decoded.passes, decoded.steps = len(candidates), steps
    return decoded


def _with_words(sequences: List[List[int]], skip: int, tokens: Any) -> int:
    """The index of the first (best) hypothesis that writes a word after its first `skip` tokens."""
    for index, sequence in enumerate(sequences):
        if any(character.isalnum() for character in tokens.decode([t for t in sequence[skip:] if t < tokens.eot])):
            return index
    return 0


def unsure(avg_logprob: float, options: DecodeOptions) -> bool:
    """Below the log-probability threshold: Whisper was not sure of its words."""
    return options.log_prob_threshold is not None and avg_logprob < options.log_prob_threshold


def silent(no_speech_prob: float, options: DecodeOptions, share: float = 1.0) -> bool:
    """Above (`share` of) the no-speech threshold: Whisper thinks nobody spoke."""
    return options.no_speech_threshold is not None and no_speech_prob > options.no_speech_threshold * share


def too_repetitive(ratio: float, options: DecodeOptions) -> bool:
    """Above the compression-ratio threshold: a loop, or text repeated."""
    return options.compression_ratio_threshold is not None and ratio > options.compression_ratio_threshold


def compression_ratio(text: str) -> float:
    """Bytes over zlib-compressed bytes: high for repetitive text."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0
