"""Benchmark: the plugin against what a user would otherwise run, side by side in one process.

    python tools/bench.py [--model pypi:base] [--repeat 5] [--setting user.x=value] [--json] [AUDIO_FOLDER...]

Paths, interleaved file by file and repetition by repetition on the same loaded model:
  plugin  the whole plugin in the Talon simulator: phrase delivered -> text typed
  stock   bare WhisperModel.transcribe with the plugin's decoding options (30 s window, no gates)
  design  bare transcribe with the original design's options (beam 5, best_of 5, patience 1,
          repetition penalty 1.1, word timestamps, language fixed)
Then each shared sentence said with pauses (cut where Talon would cut it), dictated phrase by
phrase with the phrases heard together (`join`, the default) and alone (`user.whisper_join_pause`
0), interleaved: per-phrase latency and the word error rate of the whole text.
Ratios are computed pair by pair (same file, same repetition), then their median is taken:
machines are noisy, so absolute times matter less than ratios taken side by side.
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
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = Path(os.environ.get("SUPERWHISPER2_SHARED_AUDIO", REPO.parent / "shared" / "audio"))
PATHS = ("plugin", "stock", "design")
# stock again on a second copy of the model with faster-whisper's default CPU threads (4), since
# the plugin's thread choice also changes the shared model's speed on the other paths
EXTRA = "stock_default_threads"


def speech_files(folders: List[Path]) -> List[Tuple[Path, str, Optional[str]]]:
    """(file, language, reference text) for the shared speech files and any extra folders."""
    found: List[Tuple[Path, str, Optional[str]]] = []
    transcripts = SHARED_AUDIO / "transcripts.json"
    if transcripts.is_file():
        for name, entry in json.loads(transcripts.read_text(encoding="utf-8")).items():
            if entry.get("language"):
                found.append((SHARED_AUDIO / name, entry["language"], entry["text"]))
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".wav", ".flac"):
                found.append((path, "auto", None))
    return found


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        sys.path.insert(0, str(REPO))
        sys.path.insert(0, str(REPO / "tests"))
        sys.path.insert(0, str(REPO / "tools"))
        self.args = args
        self.model_path = self._model_path(args.model)
        self.samples: Dict[Path, Any] = {}
        self.results: Dict[str, List[Dict[str, Any]]] = {path: [] for path in PATHS + (EXTRA,)}
        self.default_model: Any = None

    @staticmethod
    def _model_path(name: str) -> str:
        if name.startswith("pypi:"):
            import pypi_models

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            return str(pypi_models.model_folder(name))
        return name

    def start_plugin(self) -> None:
        from talon_sim import Dictation

        self.temp = tempfile.TemporaryDirectory()
        settings = {
            "user.whisper_model": self.model_path, "user.whisper_device": self.args.device,
            "user.whisper_compute_type": self.args.compute_type, "user.whisper_type_delay_ms": 0,
            "user.whisper_overlay": False, **dict(item.split("=", 1) for item in self.args.setting),
        }
        started = time.perf_counter()
        self.run = Dictation.start(str(REPO), self.temp.name, settings)
        self.talon = self.run.talon
        try:
            self.model = self.run.wait_ready(600)  # the plugin's model: the bare paths use the same one
        except RuntimeError as error:
            raise SystemExit(str(error))
        self.load_seconds = time.perf_counter() - started
        if self.model.device == "cpu":
            from faster_whisper import WhisperModel

            self.default_model = WhisperModel(self.model.path, device="cpu", compute_type=self.model.compute_type)

    def run_plugin(self, samples: Any, language: str) -> Tuple[str, float, float, Dict[str, Any]]:
        """(text, latency, the longest Talon-thread job, the phrase's record) for one phrase through
        the whole plugin."""
        talon = self.talon
        talon.set_setting("user.whisper_language", language)
        self.run.say_command("whisper start")
        jobs, callbacks = len(talon.scheduler.user_task_seconds), len(talon.voice.callback_seconds)
        record = self.run.say(samples)[-1]
        talon.settle(quiet=0.05)
        longest = max(talon.scheduler.user_task_seconds[jobs:] + talon.voice.callback_seconds[callbacks:], default=0.0)
        self.run.say_command("whisper stop")
        return record.get("typed", ""), record["latency_ms"] / 1000, longest, record

    def run_sentence(self, pieces: List[Any], language: str, join: bool) -> Tuple[str, List[float]]:
        """One dictation of `pieces`, each said once the previous one is typed: (text, latencies)."""
        talon = self.talon
        talon.set_setting("user.whisper_language", language)
        talon.set_setting("user.whisper_join_pause", 3.0 if join else 0.0)
        self.run.say_command("whisper start")
        start = len(talon.document)
        latencies = [self.run.say(samples)[-1]["latency_ms"] / 1000 for samples in pieces]
        self.run.say_command("whisper stop")
        return talon.document[start:], latencies

    def run_bare(self, samples: Any, language: str, design: bool, whisper: Any = None) -> Tuple[str, float]:
        from superwhisper2.engine.transcriber import DecodeOptions

        options = DecodeOptions()
        kwargs: Dict[str, Any] = dict(
            language=None if language == "auto" else language, beam_size=options.beam_size,
            best_of=options.best_of, patience=options.patience, length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            temperature=list(options.temperature), compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            without_timestamps=True, condition_on_previous_text=False, vad_filter=False,
        )
        if design:
            kwargs.update(beam_size=5, best_of=5, patience=1.0, repetition_penalty=1.1, word_timestamps=True,
                          without_timestamps=False)
        started = time.perf_counter()
        segments, _ = (whisper or self.model.whisper).transcribe(samples, **kwargs)
        text = " ".join(segment.text.strip() for segment in segments)
        return text, time.perf_counter() - started

    def run(self) -> Dict[str, Any]:
        from superwhisper2.engine.audio import load_audio

        self.start_plugin()
        files = speech_files([Path(f) for f in self.args.folders])
        if not self.model.multilingual:  # nobody dictates French to tiny.en: it would only time a loop
            files = [(path, language, text) for path, language, text in files if language in ("en", "auto")]
        for path, _, _ in files:
            self.samples[path] = load_audio(path)
        for path, language, _ in files:  # warm-up: every path once per file
            self.run_plugin(self.samples[path], language)[0]
            self.run_bare(self.samples[path], language, design=False)
            self.run_bare(self.samples[path], language, design=True)
        for repetition in range(self.args.repeat):
            for path, language, reference in files:
                samples = self.samples[path]
                text, latency, main, record = self.run_plugin(samples, language)
                self.results["plugin"].append(dict(file=path.name, rep=repetition, text=text, seconds=latency,
                                                   main=main, language=language, reference=reference,
                                                   stages=record["stages_ms"], decodes=record.get("decodes", 1),
                                                   work=record.get("work", {}), overhead=overhead_ms(record) / 1000))
                for name, design, whisper in (("stock", False, None), ("design", True, None),
                                              (EXTRA, False, self.default_model)):
                    if name == EXTRA and whisper is None:
                        continue
                    text, seconds = self.run_bare(samples, language, design, whisper)
                    self.results[name].append(dict(file=path.name, rep=repetition, text=text, seconds=seconds,
                                                   language=language, reference=reference))
        self.run_sentences(files)
        return self.summary(files)

    def run_sentences(self, files: List[Tuple[Path, str, Optional[str]]]) -> None:
        from talon_sim import sentence_pieces

        self.sentences: Dict[str, List[Dict[str, Any]]] = {"join": [], "alone": []}
        shared = [(path, language, reference) for path, language, reference in files if reference]
        for repetition in range(-1, self.args.repeat):  # -1: warm-up
            for path, language, reference in shared:
                pieces = sentence_pieces(path.name, self.samples[path])
                for name in ("join", "alone"):
                    text, latencies = self.run_sentence(pieces, language, join=name == "join")
                    if repetition >= 0:
                        self.sentences[name].append(dict(file=path.name, text=text, latencies=latencies,
                                                          reference=reference, language=language))
        self.talon.set_setting("user.whisper_join_pause", 3.0)

    def summary(self, files: List[Tuple[Path, str, Optional[str]]]) -> Dict[str, Any]:
        import jiwer
        from talon_sim import import_report

        from superwhisper2.engine.audio import SAMPLE_RATE
        from superwhisper2.engine.stats import percentile

        from superwhisper2.engine import models
        from superwhisper2.engine.guard import normalise

        audio_seconds = {path.name: self.samples[path].size / SAMPLE_RATE for path, _, _ in files}
        out: Dict[str, Any] = {
            "model": self.args.model, "settings": self.args.setting, "model_path": self.model_path,
            "device": self.model.device,
            "compute_type": self.model.compute_type, "repeat": self.args.repeat,
            "files": [path.name for path, _, _ in files],
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
        }
        for name in PATHS:
            seconds = [r["seconds"] for r in self.results[name]]
            out[f"{name}_p50_ms"] = round(percentile(seconds, 0.5) * 1000, 1)
            out[f"{name}_p95_ms"] = round(percentile(seconds, 0.95) * 1000, 1)
            out[f"{name}_rtf"] = round(sum(seconds) / sum(audio_seconds[r["file"]] for r in self.results[name]), 3)
        if self.results[EXTRA]:
            seconds = [r["seconds"] for r in self.results[EXTRA]]
            out[f"{EXTRA}_p50_ms"] = round(percentile(seconds, 0.5) * 1000, 1)
            ratios = [p["seconds"] / o["seconds"] for p, o in zip(self.results["plugin"], self.results[EXTRA])]
            out[f"ratio_plugin_{EXTRA}"] = round(statistics.median(ratios), 3)
        from superwhisper2.engine.models import cpu_threads

        out["cpu_threads"] = cpu_threads(self.model.spec.cpu_threads)
        for other in ("stock", "design"):
            ratios = [p["seconds"] / o["seconds"] for p, o in zip(self.results["plugin"], self.results[other])]
            out[f"ratio_plugin_{other}"] = round(statistics.median(ratios), 3)
        wer: Dict[str, Dict[str, float]] = {}
        for name in PATHS:
            by_language: Dict[str, List[Tuple[str, str]]] = {}
            for r in self.results[name]:
                if r["reference"]:
                    by_language.setdefault(r["language"], []).append((normalise(r["reference"]), normalise(r["text"])))
            wer[name] = {lang: round(float(jiwer.wer([a for a, _ in pairs], [b or "<empty>" for _, b in pairs])), 3)
                         for lang, pairs in sorted(by_language.items())}
        out["wer"] = wer
        for name, runs in self.sentences.items():
            latencies = [seconds for run in runs for seconds in run["latencies"]]
            out[f"sentence_{name}_p50_ms"] = round(percentile(latencies, 0.5) * 1000, 1)
            out[f"sentence_{name}_p95_ms"] = round(percentile(latencies, 0.95) * 1000, 1)
            out[f"sentence_{name}_wer"] = round(float(jiwer.wer(
                [normalise(run["reference"]) for run in runs], [normalise(run["text"]) or "<empty>" for run in runs])), 3)
            out[f"sentence_{name}_texts"] = sorted({run["text"] for run in runs})
        pairs = zip([s for run in self.sentences["join"] for s in run["latencies"]],
                    [s for run in self.sentences["alone"] for s in run["latencies"]])
        out["ratio_sentence_join_alone"] = round(statistics.median(j / a for j, a in pairs), 3)
        plugin = self.results["plugin"]
        out["plugin_stages_ms"] = stage_medians(plugin)
        out["plugin_overhead_p50_ms"] = round(percentile([r["overhead"] for r in plugin], 0.5) * 1000, 1)
        out["plugin_overhead_share"] = round(statistics.median(r["overhead"] / r["seconds"] for r in plugin), 3)
        out["plugin_second_decodes"] = sum(max(0, r["decodes"] - 1) for r in plugin)
        out["plugin_phrases"] = len(plugin)
        kinds = sorted({key for r in plugin for key in r["work"]})
        out["plugin_work_per_phrase"] = {key: round(statistics.mean(r["work"].get(key, 0) for r in plugin), 2)
                                         for key in kinds}
        main = [r["main"] for r in self.results["plugin"]]
        out["main_thread_p95_ms"] = round(percentile(main, 0.95) * 1000, 2)
        out["main_thread_max_ms"] = round(max(main) * 1000, 2)
        out["model_load_s"] = round(self.model.load_seconds, 3)
        out["model_warmup_s"] = round(self.model.warmup_seconds, 3)
        out["plugin_ready_s"] = round(self.load_seconds, 3)
        loads = models.load_count()
        for name in ("superwhisper2/superwhisper2/plugin.py", "superwhisper2/superwhisper2/session.py",
                     "superwhisper2/superwhisper2/engine/models.py"):
            self.talon.reload(name)
        self.talon.settle()
        out["models_loaded_after_reloads"] = len(models.loaded_models())
        out["model_loads_during_reloads"] = models.load_count() - loads
        out["peak_memory_mb"] = peak_memory_mb()
        imported = import_report(str(REPO))
        out["import_ms"] = imported["import_ms"]
        out["import_errors"] = imported["errors"]
        self.run.shutdown(keep_models=False)
        return out


def overhead_ms(record: Dict[str, Any]) -> float:
    """The plugin's own cost for a phrase: its latency minus the encoder and decoder pass whose
    text was typed (VAD, features, any earlier pass, hand-off and typing are overhead)."""
    stages = record["stages_ms"]
    final = next((suffix for suffix in ("_retry", "", "_joined") if f"decoder{suffix}" in stages), None)
    if final is None:
        return record["latency_ms"]
    return record["latency_ms"] - stages.get(f"encoder{final}", 0.0) - stages.get(f"decoder{final}", 0.0)


def stage_medians(results: List[Dict[str, Any]]) -> Dict[str, float]:
    """Median milliseconds per stage over the plugin's phrases (0 where a phrase skipped it)."""
    names = sorted({stage for r in results for stage in r["stages"] if stage != "total"})
    return {name: round(statistics.median(r["stages"].get(name, 0.0) for r in results), 1) for name in names}


def peak_memory_mb() -> Optional[float]:
    """The process's peak resident memory; `resource` is Unix-only (Talon imports this file on Windows)."""
    try:
        import resource
    except ImportError:
        from superwhisper2.engine.models import process_memory_mb

        return process_memory_mb()
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def table(result: Dict[str, Any]) -> str:
    """Markdown ready for docs/BENCHMARKS.md."""
    languages = sorted({lang for path in PATHS for lang in result["wer"][path]})
    lines = [
        f"Run on {result['date']}: {result['machine']}, Python {result['python']}; model `{result['model']}` "
        f"on {result['device']} ({result['compute_type']}, {result['cpu_threads']} CPU thread(s)); {result['repeat']} repetitions of "
        f"{', '.join(result['files'])} after one warm-up.",
        "",
        "| path | p50 ms | p95 ms | real-time factor | " + " | ".join(f"WER {lang}" for lang in languages) + " |",
        "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in languages) + " |",
    ]
    for path in PATHS:
        wer = " | ".join(f"{result['wer'][path].get(lang, float('nan')):.3f}" for lang in languages)
        lines.append(f"| {path} | {result[f'{path}_p50_ms']:.0f} | {result[f'{path}_p95_ms']:.0f} | "
                     f"{result[f'{path}_rtf']:.3f} | {wer} |")
    lines += [
        "",
        f"- plugin/stock (median of pairs): **{result['ratio_plugin_stock']:.2f}**; "
        f"plugin/design: **{result['ratio_plugin_design']:.2f}**"
        + (f"; plugin/stock with faster-whisper's default 4 CPU threads: {result['ratio_plugin_stock_default_threads']:.2f} "
           f"(stock p50 {result['stock_default_threads_p50_ms']:.0f} ms)" if "ratio_plugin_stock_default_threads" in result
           else ""),
        f"- a sentence said with pauses ({len(result['sentence_join_texts'])} recordings cut into phrases), per phrase: "
        f"heard with the previous phrase p50 {result['sentence_join_p50_ms']:.0f} ms, p95 "
        f"{result['sentence_join_p95_ms']:.0f} ms, WER {result['sentence_join_wer']:.3f}; heard alone p50 "
        f"{result['sentence_alone_p50_ms']:.0f} ms, p95 {result['sentence_alone_p95_ms']:.0f} ms, WER "
        f"{result['sentence_alone_wer']:.3f}; join/alone (median of pairs): **{result['ratio_sentence_join_alone']:.2f}**",
        *[f"  - joined: {text}" for text in result["sentence_join_texts"]],
        *[f"  - alone: {text}" for text in result["sentence_alone_texts"]],
        f"- plugin per phrase: overhead (latency minus the encoder and decoder pass that was typed) p50 "
        f"{result['plugin_overhead_p50_ms']:.0f} ms, {result['plugin_overhead_share'] * 100:.0f} % of the latency "
        f"(median of phrases); {result['plugin_second_decodes']} second decodes in {result['plugin_phrases']} phrases; "
        f"stages (median ms): " + ", ".join(f"{k} {v:.1f}" for k, v in result["plugin_stages_ms"].items()),
        "- plugin work per phrase (mean): " + ", ".join(f"{k.replace('_', ' ')} {v:g}"
                                                       for k, v in result["plugin_work_per_phrase"].items()),
        f"- Talon's thread, the longest any plugin code held it per phrase (phrase callback included): p95 "
        f"{result['main_thread_p95_ms']:.2f} ms, max {result['main_thread_max_ms']:.2f} ms; importing every file as "
        f"Talon does: {result['import_ms']:.0f} ms",
        f"- model load {result['model_load_s']:.2f} s + warm-up {result['model_warmup_s']:.2f} s; peak memory "
        f"{result['peak_memory_mb']:.0f} MB; models in memory after reloading the plugin: "
        f"{result['models_loaded_after_reloads']} ({result['model_loads_during_reloads']} loads during reloads)",
    ]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", help="extra folders of WAV/FLAC files (language detected)")
    parser.add_argument("--model", default="pypi:base", help="name, folder, pypi:base or pypi:tiny.en")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--setting", action="append", default=[], help="a plugin setting user.x=value")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = Bench(args).run()
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
