"""Measure every phrase of the dev corpus once, for issues 20 and 22: one JSON line per phrase.

    python -m tools.study.collect [FOLDER] [--out FILE] [--only PART ...] [--nonspeech-language fr]

Each recording is heard whole and cut where Talon would cut it. Per phrase: today's path
(`transcribe`, the plugin's defaults); for each window among W(10), W(15), W(20) and 30 s, the
engine's encoder pass, Whisper's language probabilities on it, greedy and beam-5 decodes at T=0,
and a greedy pass with its logits; the sound signals issue 20 weighed. Each part's wall and CPU
time is kept: the analyses price a policy by adding up the parts it runs. Resumable; one process
at a time (the model gets one CPU thread). Talon imports this file too: the work is under __main__.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from . import phrases


@contextmanager
def clock() -> Iterator[Dict[str, float]]:
    """Wall and process CPU seconds of the block (CPU time resists a shared machine's load)."""
    spent: Dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield spent
    finally:
        spent["wall"], spent["cpu"] = time.perf_counter() - wall, time.process_time() - cpu


def confidence(whisper: Any, encoded: Any, prompt: List[int], options: Any, wanted: int) -> Dict[str, Any]:
    """A greedy pass that returns each step's logits (ctranslate2's return_logits_vocab): the
    probability of the top token and its lead over the second, end of text included."""
    import numpy as np
    from superwhisper2.engine import decoding

    max_length, _ = decoding.generation_budget(len(prompt), wanted)
    result = whisper.model.generate(
        encoded, [prompt], beam_size=1, max_length=max_length, return_scores=True, return_logits_vocab=True,
        return_no_speech_prob=True, suppress_blank=options.suppress_blank, suppress_tokens=[-1],
        length_penalty=options.length_penalty, repetition_penalty=options.repetition_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size)[0]
    top1, margin = [], []
    for logits in result.logits[0]:
        values = np.asarray(logits, dtype=np.float64).ravel()
        p = np.exp(values - values.max())
        p /= p.sum()
        second, first = np.partition(p, -2)[-2:]
        top1.append(round(float(first), 5))
        margin.append(round(float(first - second), 5))
    return {"tokens": result.sequences_ids[0], "top1": top1, "margin": margin}


def sound_signals(samples: Any) -> Dict[str, Optional[float]]:
    """The audio signals issue 20 weighed against Whisper's own (none was needed in the end)."""
    import numpy as np
    from superwhisper2.engine import guard
    from superwhisper2.engine.audio import SAMPLE_RATE as SR

    guard.quiet_onnxruntime()
    from faster_whisper.vad import get_vad_model

    levelled = samples * guard._gain(samples)  # as the speech gate hears it
    probs = np.asarray(get_vad_model()(np.pad(levelled, (0, 512 - levelled.size % 512)))).ravel()
    speech = sum(c["end"] - c["start"] for c in guard.speech_chunks(levelled, threshold=0.5)) / SR
    out: Dict[str, Optional[float]] = {"vad_pmax": float(probs.max()) if probs.size else 0.0,
                                       "vad_share": speech / max(1e-9, samples.size / SR)}

    def frames(x: Any, size: int) -> Any:  # 10 ms hop
        x = np.pad(x, (0, max(0, size - x.size)))
        return x[np.arange(size)[None, :] + 160 * np.arange(1 + (x.size - size) // 160)[:, None]].astype(np.float64)

    short = frames(samples, 400)  # 25 ms
    energy = (short ** 2).mean(axis=1)
    level = 10 * np.log10(energy + 1e-20)
    active = level >= level.max() - 40.0
    out["level_spread_db"] = float(np.percentile(level[active], 90) - np.percentile(level[active], 10))
    spec = np.abs(np.fft.rfft(short * np.hanning(400), n=512, axis=1)) ** 2
    hz = np.fft.rfftfreq(512, 1 / SR)
    band = spec[active][:, (hz >= 100) & (hz <= 7000)] + 1e-12
    out["flatness"] = float(np.median(np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)))
    out["zcr"] = float(np.mean(np.abs(np.diff(np.signbit(short[active]).astype(np.int8), axis=1))))
    out["speech_band_share"] = float(spec[:, (hz >= 300) & (hz <= 3400)].sum() / max(spec[:, hz >= 50].sum(), 1e-20))
    long = frames(samples, 640)  # 40 ms: normalised autocorrelation, pitch 70-400 Hz
    power = 10 * np.log10((long ** 2).mean(axis=1) + 1e-20)
    f = long[power >= power.max() - 30.0]
    f = f - f.mean(axis=1, keepdims=True)
    ac = np.fft.irfft(np.abs(np.fft.rfft(f, n=2048, axis=1)) ** 2, axis=1)[:, :700]
    ac = ac / (ac[:, :1] + 1e-20) * (640 / np.maximum(640 - np.arange(700), 1))
    lo = SR // 400
    seg = ac[:, lo:SR // 70 + 1]
    lag = seg.argmax(axis=1)
    r = seg[np.arange(seg.shape[0]), lag]
    f0, voiced = SR / (lag + lo), r > 0.6
    out["periodicity"] = float(r.mean()) if r.size else 0.0
    out["voiced_share"] = float(voiced.mean()) if r.size else 0.0
    both = voiced[1:] & voiced[:-1]  # a held note barely moves between voiced frames
    out["pitch_held_share"] = (float((np.abs(12 * np.log2(f0[1:][both] / f0[:-1][both])) < 0.3).mean())
                               if both.sum() >= 3 else None)
    envelope = np.sqrt(energy)
    out["modulation_2_8"] = None  # share of 0.5-20 Hz loudness modulation at syllable rate
    if envelope.size >= 50:
        n = max(1024, envelope.size)
        m = np.abs(np.fft.rfft((envelope - envelope.mean()) * np.hanning(envelope.size), n=n)) ** 2
        mf = np.fft.rfftfreq(n, 0.01)
        total = m[(mf >= 0.5) & (mf <= 20)].sum()
        out["modulation_2_8"] = float(m[(mf >= 2) & (mf <= 8)].sum() / total) if total > 0 else None
    return out


def measure(model: Any, options: Any, samples: Any) -> Dict[str, Any]:
    """Today's path, then each window's encoder pass, language, decodes and token confidence."""
    import ctranslate2
    from superwhisper2.engine import decoding
    from superwhisper2.engine.audio import SAMPLE_RATE
    from superwhisper2.engine.options import Request, window_seconds
    from superwhisper2.engine.transcriber import transcribe

    row: Dict[str, Any] = {"signals": sound_signals(samples)}
    ctranslate2.set_random_seed(0)  # fallbacks sample: the same phrase samples the same way each run
    with clock() as spent:
        t = transcribe(model, samples, options)
    row["today"] = {**t.figures(), "text": t.text, "avg_logprob": t.avg_logprob, "no_speech_prob": t.no_speech_prob,
                    "compression_ratio": t.compression_ratio, "temperature": t.temperature,
                    "speech_seconds": t.speech_seconds, "timings": t.timings, **spent}
    whisper, language = model.whisper, options.language
    seconds = samples.size / SAMPLE_RATE
    tokens = decoding.tokenizer(whisper, language)
    prompt = decoding.prompt(tokens, options, None)
    wanted = 16 + int(12 * seconds)  # what decoding.decode asks for a phrase this long
    row["windows"] = {}
    for window in sorted({window_seconds(seconds, replace(options, min_window=f)) for f in phrases.FLOORS}):
        request = Request(model, options, language)
        with clock() as spent:
            encoded = decoding.encode(request, samples, window)
        entry: Dict[str, Any] = {"encode": {**spent, **request.timings}}
        with clock() as spent:
            ranked = whisper.model.detect_language(encoded)[0]  # as verdict.py asks it
        kept = {token[2:-2]: float(p) for token, p in ranked[:5]}
        kept.update({token[2:-2]: float(p) for token, p in ranked if token[2:-2] in ("fr", "en", language)})
        entry["language"] = {"probabilities": kept, **spent}
        for name, beam in (("greedy", 1), ("beam5", 5)):
            with clock() as spent:
                decoded = decoding.generate(whisper, encoded, prompt=prompt, tokens=tokens, wanted=wanted,
                                            options=replace(options, beam_size=beam, temperature=(0.0,)))
            entry[name] = {**asdict(decoded), **spent}
        with clock() as spent:
            sure = confidence(whisper, encoded, prompt, options, wanted)
        text_tokens = [token for token in sure.pop("tokens") if token < tokens.eot]
        entry["confidence"] = {**sure, "same_tokens": text_tokens == entry["greedy"]["tokens"], **spent}
        row["windows"][str(int(window))] = entry
    return row


def main(argv: List[str]) -> int:
    from tools import corpus, pypi_models

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(corpus.DEV_CORPUS))
    parser.add_argument("--out", help="JSON lines, appended to (default: phrases.default_data())")
    parser.add_argument("--only", action="append", default=[], help="only recordings whose name contains this")
    parser.add_argument("--model", default="pypi:base", help="pypi:base or a model folder")
    parser.add_argument("--nonspeech-language", default="fr", help="the dictation language for non-speech")
    args = parser.parse_args(argv)
    args.out = args.out or phrases.default_data()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from superwhisper2.engine.audio import SAMPLE_RATE, load_audio
    from superwhisper2.engine.models import ModelSpec, load_model
    from superwhisper2.options import read_options
    from tests.talon_sim.audio import cut_phrases

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    done = set(phrases.load([args.out])) if os.path.exists(args.out) else set()
    recordings = sorted(corpus.load(Path(args.folder)), key=lambda r: r.name)
    recordings = [r for r in recordings if not args.only or any(part in r.name for part in args.only)]
    if not recordings:
        parser.error(f"no recording of {args.folder} matches {args.only}")
    folder = str(pypi_models.model_folder(args.model)) if args.model.startswith("pypi:") else args.model
    model = load_model(ModelSpec(model=folder, device="cpu", cpu_threads=1))
    defaults = read_options(lambda name: None).decode  # the plugin's defaults, as tools/evaluate.py
    started = time.perf_counter()
    measure(model, replace(defaults, language="fr"), load_audio(recordings[0].path)[:SAMPLE_RATE * 3])
    with open(args.out, "a", encoding="utf-8") as out:
        for recording in recordings:
            samples = load_audio(recording.path)
            cuts = cut_phrases(samples)
            units = [("whole", 0, 1, samples)] + [("cut", i, len(cuts), piece) for i, piece in enumerate(cuts)]
            for view, piece, pieces, audio in units:
                pid = f"{recording.name}|" + ("whole" if view == "whole" else f"cut{piece}of{pieces}")
                if pid in done:
                    continue
                language = recording.language or args.nonspeech_language
                row = {"id": pid, "name": recording.name, "view": view, "piece": piece, "pieces": pieces,
                       "uncut": not cuts, "language": recording.language, "dictation": language,
                       "reference": recording.text, "seconds": audio.size / SAMPLE_RATE,
                       "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
                row.update(measure(model, replace(defaults, language=language), audio))
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                print(f"{pid} {row['seconds']:.1f} s: {row['today']['text'][:60]!r} "
                      f"({row['today']['wall']:.2f} s; {time.perf_counter() - started:.0f} s so far)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
