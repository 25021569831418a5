"""Accuracy and speed on a whole corpus: the plugin, the engine and bare faster-whisper.

    python tools/evaluate.py [FOLDER] [--model pypi:base] [--engine NAME:key=value,...] [--json OUT]

FOLDER (default ../shared/audio/dev) holds recordings and a `transcripts.json`. Paths:
  plugin  the whole plugin in the Talon simulator, one dictation per language: each recording
          cut into phrases where Talon would cut it (`--whole`: one phrase each), each phrase said
          once the previous one is typed, as a user dictates sentence after sentence;
  engine  `transcribe` on each recording alone, with the plugin's default options;
  bare    faster-whisper's own `WhisperModel.transcribe`, same model, language and beam, full
          30 s window, no VAD: what a user would otherwise run.
engine and bare run interleaved recording by recording; extra `--engine` variants (DecodeOptions
fields, e.g. `w10:min_window=10`) run with them. Per language: WER (tools/corpus.py normalises
case, punctuation and numbers), phrases decoded more than once, latency p50/p95/max, and the
median of the per-recording ratios against bare. Non-speech recordings must type nothing.
Talon imports this file too: work happens under __main__.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], fraction: float) -> float:
    """The engine's percentile; NaN for no values (a row with no phrase typed)."""
    from superwhisper2.engine.stats import percentile as engine_percentile

    found = engine_percentile(values, fraction)
    return float("nan") if found is None else found


def add_work(total: Dict[str, int], more: Dict[str, int]) -> Dict[str, int]:
    """Work counters (encoder passes, decoder steps...) added up."""
    return {key: total.get(key, 0) + more.get(key, 0) for key in set(total) | set(more)}


def kind(name: str) -> str:
    """A non-speech recording's kind: nonspeech_music_with_vocals_3.wav -> music_with_vocals."""
    stem = name.rsplit(".", 1)[0]
    stem = stem[len("nonspeech_"):] if stem.startswith("nonspeech_") else stem
    return stem.rstrip("0123456789").rstrip("_")


def parse_variant(text: str) -> Tuple[str, Dict[str, Any]]:
    """"w10:min_window=10,beam_size=1" -> ("w10", {"min_window": 10.0, "beam_size": 1})."""
    from superwhisper2.engine.transcriber import DecodeOptions

    name, _, assignments = text.partition(":")
    kinds = {field.name: field.type for field in fields(DecodeOptions)}
    values: Dict[str, Any] = {}
    for assignment in filter(None, assignments.split(",")):
        key, _, raw = assignment.partition("=")
        if key not in kinds:
            raise SystemExit(f"--engine {text}: {key} is not a DecodeOptions field")
        values[key] = json.loads(raw) if raw not in ("true", "false") else raw == "true"
    return name, values


class Evaluation:
    """Runs the paths over one corpus on one loaded model and keeps every result."""

    def __init__(self, args: argparse.Namespace) -> None:
        for folder in (REPO, REPO / "tests", REPO / "tools"):
            sys.path.insert(0, str(folder))
        import corpus

        self.args = args
        self.recordings = corpus.load(Path(args.folder))
        if args.only:
            self.recordings = [r for r in self.recordings if any(part in r.name for part in args.only)]
        self.variants = dict(parse_variant(text) for text in args.engine)
        self.plugins = {"plugin": {}}
        for text in args.plugin:
            name, _, assignments = text.partition(":")
            self.plugins[name] = dict(item.split("=", 1) for item in filter(None, assignments.split(",")))
        self.results: Dict[str, Dict[str, Dict[str, Any]]] = {}  # path -> recording name -> result

    def run(self) -> Dict[str, Any]:
        from superwhisper2.engine.audio import load_audio

        self.samples = {r.name: load_audio(r.path) for r in self.recordings}
        self.start_plugin()
        if not self.args.no_plugin:
            self.run_plugin()
        self.run_engine_and_bare()
        self.stop_plugin()
        return self.summary()

    # -- the plugin in the simulator ---------------------------------------------------------

    def start_plugin(self) -> None:
        import pypi_models
        from talon_sim import Dictation

        if self.args.model.startswith("pypi:"):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            self.model_path = str(pypi_models.model_folder(self.args.model))
        else:
            self.model_path = self.args.model
        self.temp = tempfile.TemporaryDirectory()
        settings = {"user.whisper_model": self.model_path, "user.whisper_device": self.args.device,
                    "user.whisper_compute_type": self.args.compute_type, "user.whisper_overlay": False,
                    "user.whisper_history_file": os.path.join(self.temp.name, "history.jsonl")}
        from superwhisper2.options import SETTINGS

        self.defaults = {f"user.{name}": default for name, (_, default, _) in SETTINGS.items()}
        self.plugin = Dictation.start(str(REPO), self.temp.name,
                                    {**settings, **dict(item.split("=", 1) for item in self.args.setting)})
        self.talon = self.plugin.talon
        try:
            self.model = self.plugin.wait_ready(600)
        except RuntimeError as error:
            raise SystemExit(str(error))

    def run_plugin(self) -> None:
        """One dictation per language (and one per non-speech recording, in French)."""
        import corpus

        for path, settings in self.plugins.items():
            results = self.results.setdefault(path, {})
            settings = dict(settings)
            self.whole = settings.pop("whole", "1" if self.args.whole else "0") == "1"
            for name, value in settings.items():
                self.talon.set_setting(name, value)
            for language, recordings in corpus.by_language(self.recordings).items():
                groups = [recordings] if language else [[r] for r in recordings]
                for group in groups:
                    self.talon.set_setting("user.whisper_language", language or "fr")
                    results.update(self.dictate(group))
            for name in settings:
                self.talon.set_setting(name, self.defaults[name])

    def dictate(self, recordings: Sequence[Any]) -> Dict[str, Dict[str, Any]]:
        from talon_sim import cut_phrases

        talon, run = self.talon, self.plugin
        run.press_hotkey()
        talon.settle(quiet=0.05)
        time.sleep(0.35)  # a user starts speaking a moment after the hotkey: typing waits that long after it
        out: Dict[str, Dict[str, Any]] = {}
        for recording in recordings:
            samples = self.samples[recording.name]
            # Talon's own detector hears quiet speech too: a recording it would not cut is one phrase
            phrases = [samples] if self.whole else (cut_phrases(samples) or [samples])
            start, latencies, decodes, retries, work, refused = len(talon.document), [], 0, 0, {}, []
            for phrase in phrases:
                for record in run.say(phrase):
                    if record["outcome"] in ("typed", "dropped"):
                        latencies.append(record["latency_ms"] / 1000)
                        decodes += record.get("decodes", 1)
                        retries += bool(record.get("full_window_retry"))
                        work = add_work(work, record.get("work", {}))
                    if record.get("dropped") and record.get("heard"):
                        refused.append(f"{record['heard']} [{record['dropped']}]")
            out[recording.name] = {"text": talon.document[start:], "latencies": latencies,
                                   "seconds": sum(latencies), "phrases": len(phrases), "decodes": decodes,
                                   "retries": retries, "work": work, "refused": refused}
        start = len(talon.document)
        run.say_command("whisper stop")
        talon.settle(quiet=0.1)
        if recordings and talon.document[start:]:  # the held closing mark: part of the last recording
            out[recordings[-1].name]["text"] += talon.document[start:]
        return out

    def stop_plugin(self) -> None:
        self.plugin.shutdown(keep_models=False)

    # -- the engine alone and bare faster-whisper, interleaved --------------------------------

    def run_engine_and_bare(self) -> None:
        from superwhisper2.options import read_options

        defaults = read_options(lambda name: None).decode
        paths = {"engine": defaults, **{name: replace(defaults, **values) for name, values in self.variants.items()}}
        for recording in self.recordings:
            samples = self.samples[recording.name]
            language = recording.language or "fr"
            self.results.setdefault("bare", {})[recording.name] = self.bare(samples, language, defaults)
            for name, options in paths.items():
                self.results.setdefault(name, {})[recording.name] = self.engine(samples, language, options)

    def engine(self, samples: Any, language: str, options: Any) -> Dict[str, Any]:
        from superwhisper2.engine.transcriber import transcribe

        started = time.perf_counter()
        result = transcribe(self.model, samples, replace(options, language=language))
        seconds = time.perf_counter() - started
        return {"text": result.text, "seconds": seconds, "latencies": [seconds], "phrases": 1,
                "decodes": result.decodes, "retries": int(result.full_window_retry), "work": dict(result.work),
                "refused": [f"{result.heard} [{result.dropped}]"] if result.dropped and result.heard else [],
                "stages": {k: round(v * 1000, 1) for k, v in result.timings.items()}}

    def bare(self, samples: Any, language: str, options: Any) -> Dict[str, Any]:
        started = time.perf_counter()
        segments, _ = self.model.whisper.transcribe(
            samples, language=language, beam_size=options.beam_size, best_of=options.best_of,
            patience=options.patience, temperature=list(options.temperature),
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        text = " ".join(segment.text.strip() for segment in segments).strip()
        seconds = time.perf_counter() - started
        return {"text": text, "seconds": seconds, "latencies": [seconds], "phrases": 1, "decodes": 1, "retries": 0}

    # -- the report ------------------------------------------------------------------------------

    def summary(self) -> Dict[str, Any]:
        import corpus
        from superwhisper2.engine.models import cpu_threads
        from superwhisper2.engine.verdict import repeated

        report: Dict[str, Any] = {
            "corpus": str(self.args.folder), "recordings": len(self.recordings), "model": self.args.model,
            "device": self.model.device, "compute_type": self.model.compute_type,
            "cpu_threads": cpu_threads(self.model.spec.cpu_threads),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "date": time.strftime("%Y-%m-%d"), "paths": {},
        }
        for path, results in self.results.items():
            rows: Dict[str, Any] = {}
            for language, recordings in corpus.by_language(self.recordings).items():
                done = [r for r in recordings if r.name in results]
                if not done:
                    continue
                latencies = [s for r in done for s in results[r.name]["latencies"]]
                phrases = sum(results[r.name]["phrases"] for r in done)
                row: Dict[str, Any] = {
                    "recordings": len(done), "phrases": phrases,
                    "second_decodes": sum(max(0, results[r.name]["decodes"] - results[r.name]["phrases"]) for r in done),
                    "retries": sum(results[r.name]["retries"] for r in done),
                    "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                    "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
                    "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
                }
                per_second = [results[r.name]["seconds"] / max(r.seconds, 0.1) for r in done]
                row["ms_per_audio_s_p50"] = round(percentile(per_second, 0.5) * 1000, 1)
                row["ms_per_audio_s_p95"] = round(percentile(per_second, 0.95) * 1000, 1)
                work: Dict[str, int] = {}
                for r in done:
                    work = add_work(work, results[r.name].get("work", {}))
                row["work_per_phrase"] = {key: round(value / max(1, phrases), 2) for key, value in sorted(work.items())}
                row["refused_phrases"] = sum(len(results[r.name].get("refused", [])) for r in done)
                row["loops"] = [results[r.name]["text"] for r in done if repeated(results[r.name]["text"])]
                if language:
                    row["wer"] = round(corpus.wer([r.text for r in done], [results[r.name]["text"] for r in done],
                                                  language), 3)
                    row["typed_nothing"] = [r.name for r in done if not results[r.name]["text"].strip()]
                else:
                    row["typed_on_non_speech"] = [results[r.name]["text"] for r in done if results[r.name]["text"].strip()]
                    kinds: Dict[str, List[int]] = {}
                    for r in done:
                        kinds.setdefault(kind(r.name), [0, 0])[0] += bool(results[r.name]["text"].strip())
                        kinds[kind(r.name)][1] += 1
                    row["typed_by_kind"] = {name: f"{typed}/{total}" for name, (typed, total) in sorted(kinds.items())}
                if path != "bare" and "bare" in self.results and all(r.name in self.results["bare"] for r in done):
                    ratios = [results[r.name]["seconds"] / self.results["bare"][r.name]["seconds"] for r in done]
                    row["ratio_bare"] = round(statistics.median(ratios), 3)
                rows[language or "none"] = row
            report["paths"][path] = rows
        report["results"] = self.results  # per recording: text, latencies, decodes
        report["texts"] = {path: {name: result["text"] for name, result in results.items()}
                           for path, results in self.results.items()}
        return report


def table(report: Dict[str, Any]) -> str:
    """Markdown for docs/BENCHMARKS.md."""
    lines = [
        f"Run on {report['date']}: {report['machine']}; model `{report['model']}` on {report['device']} "
        f"({report['compute_type']}, {report['cpu_threads']} CPU thread(s)); corpus `{report['corpus']}` "
        f"({report['recordings']} recordings).",
        "",
        "| path | language | recordings | phrases | WER | second decodes | p50 ms | p95 ms | max ms "
        "| ms per audio s, p50 / p95 | ×bare (median of pairs) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path, rows in report["paths"].items():
        for language, row in rows.items():
            wer = f"{row['wer']:.3f}" if "wer" in row else f"typed {len(row['typed_on_non_speech'])}"
            ratio = f"{row['ratio_bare']:.2f}" if "ratio_bare" in row else "1"
            lines.append(f"| {path} | {language} | {row['recordings']} | {row['phrases']} | {wer} | "
                         f"{row['second_decodes']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['max_ms']:.0f} | "
                         f"{row['ms_per_audio_s_p50']:.0f} / {row['ms_per_audio_s_p95']:.0f} | {ratio} |")
    lines += ["", "Only speech becomes text, and the work each phrase took (per phrase: encoder passes, seconds of "
              "audio encoded, decoder passes, decoder steps, temperature fallbacks; the bare path cannot say):", "",
              "| path | language | typed nothing | phrases refused | loops typed | encoder passes | encoded s "
              "| decoder passes | decoder steps | fallbacks |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for path, rows in report["paths"].items():
        for language, row in rows.items():
            work = row.get("work_per_phrase", {})
            nothing = (f"{row['recordings'] - len(row['typed_on_non_speech'])}/{row['recordings']} recordings"
                       if "typed_on_non_speech" in row else f"{len(row.get('typed_nothing', []))} recordings")
            lines.append(f"| {path} | {language} | {nothing} | {row.get('refused_phrases', 0)} | {len(row.get('loops', []))} | "
                         + " | ".join(str(work.get(key, "–")) for key in
                                      ("encoder_passes", "encoded_seconds", "decoder_passes", "decoder_steps", "fallbacks"))
                         + " |")
    for path, rows in report["paths"].items():
        kinds = rows.get("none", {}).get("typed_by_kind")
        if kinds:
            lines.append(f"\n{path}, non-speech recordings typing text, by kind: "
                         + ", ".join(f"{name} {count}" for name, count in kinds.items()))
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "audio" / "dev"))
    parser.add_argument("--model", default="pypi:base", help="name, folder, pypi:base or pypi:tiny.en")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--engine", action="append", default=[], help="an engine variant NAME:field=value,...")
    parser.add_argument("--setting", action="append", default=[], help="a plugin setting user.x=value")
    parser.add_argument("--plugin", action="append", default=[],
                        help="a plugin variant NAME:user.x=value,... (dictated after the default plugin)")
    parser.add_argument("--only", action="append", default=[], help="only recordings whose name contains this")
    parser.add_argument("--no-plugin", action="store_true", help="only the engine (and its variants) and bare")
    parser.add_argument("--whole", action="store_true",
                        help="say each recording as one phrase (a user pausing only between sentences), not cut at pauses")
    parser.add_argument("--log", help="write the plugin's log (INFO) to this file")
    parser.add_argument("--json", help="write the whole report (texts included) to this file")
    args = parser.parse_args(argv)
    if args.log:
        import logging

        handler = logging.FileHandler(args.log, encoding="utf-8")
        logging.getLogger("superwhisper2").addHandler(handler)
        logging.getLogger("superwhisper2").setLevel(logging.INFO)
    report = Evaluation(args).run()
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
