"""Say in plain words what works and what does not, then prove it with a transcription.

    python tools/doctor.py [--model NAME_OR_FOLDER] [--model-dir DIR] [--device auto] [--language fr]

Run it with Talon's Python (as for tools/install.py). Without --model it uses the value in
superwhisper2/settings.talon. Exits non-zero when something is wrong. "whisper doctor" runs
the same checks inside Talon. Talon imports this file too: work happens under __main__.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parent.parent


def configured(name: str, default: str) -> str:
    """A setting's value in settings.talon (a plain read: Talon's parser is not here)."""
    try:
        text = (REPO / "superwhisper2" / "settings.talon").read_text(encoding="utf-8")
    except OSError:
        return default
    match = re.search(rf'^\s*user\.{name}\s*=\s*"([^"]*)"', text, re.MULTILINE)
    return match.group(1) if match else default


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--compute-type", default=None)
    parser.add_argument("--language", default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from superwhisper2 import packages

    state = packages.installed_for(REPO)  # this Python's packages, as the plugin finds them
    if state.ok and str(state.folder) not in sys.path:
        sys.path.append(str(state.folder))  # as the plugin does: after the interpreter's own paths
    elif not state.ok:
        print(f"superwhisper2's packages for this Python are {state.problem} ({state.folder})")
    from superwhisper2.engine.doctor import diagnose
    from superwhisper2.engine.models import ModelSpec

    spec = ModelSpec(
        model=args.model or configured("whisper_model", "large-v3-turbo"),
        model_dir=args.model_dir or configured("whisper_model_dir", "") or None,
        device=args.device or configured("whisper_device", "auto"),
        compute_type=args.compute_type or configured("whisper_compute_type", "auto"),
        cpu_fallback_model=configured("whisper_cpu_fallback_model", "base"),
    )
    home = str(Path.home())
    report = diagnose(
        spec, language=args.language or configured("whisper_language", "fr"),
        talon_home=str(packages.talon_home(sys.platform, os.environ, home)),
        user_folder=str(packages.user_folder(sys.platform, os.environ, home)),
    )
    print(report.text())
    print()
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
