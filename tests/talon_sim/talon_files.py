""".talon files as Talon applies them: parsed with tree-sitter-talon, headers, settings,
hotkeys, and voice commands matched against the words of an utterance.

tree-sitter-talon requires Python < 3.13. On a newer Python (Talon's own is 3.13 since 2025) this
module asks a Python that has it (.venv's, or $TALON_SIM_PARSER_PYTHON) to run parse_talon_file,
running this very file as a script, and rebuilds the TalonFile from the JSON it prints: one parser,
one reading of its tree, on every Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class TalonFile:
    path: str
    modes: List[str]  # OR-ed; empty means command mode only
    oses: List[str]
    settings: Dict[str, Any]
    hotkeys: Dict[str, List[Tuple[str, List[Any]]]]  # key -> actions
    commands: List[Tuple[List[Tuple[str, str]], List[Tuple[str, List[Any]]]]]  # rule, actions
    apps: Dict[str, List[str]] = field(default_factory=dict)  # "app.exe"/"app.name" -> values, OR-ed

    @property
    def requirements(self) -> int:
        """How specific the header is: one per kind of requirement (mode, os, app.exe...)."""
        return sum(1 for kind in (self.modes, self.oses, *self.apps.values()) if kind)


def header_line(path: str, key: str, value: str, modes: List[str], oses: List[str],
                apps: Dict[str, List[str]]) -> None:
    if key == "mode":
        modes.append(value)
    elif key == "os":
        oses.append(value)
    elif key in ("app.exe", "app.name"):
        apps.setdefault(key, []).append(value.lower())
    else:
        raise NotImplementedError(f"{path}: header '{key}:' is not simulated")


def parse_talon_file(path: str) -> TalonFile:
    """Read a .talon file with tree-sitter-talon, as Talon would apply it (in another Python where
    this one cannot import tree-sitter-talon)."""
    try:
        import tree_sitter_talon
    except ImportError as error:
        return _parse_in_other_python(path, error)
    return _parse_here(tree_sitter_talon, path)


def _parse_here(tst: Any, path: str) -> TalonFile:
    tree = tst.parse_file(path, raise_parse_error=True)
    modes: List[str] = []
    oses: List[str] = []
    apps: Dict[str, List[str]] = {}
    settings: Dict[str, Any] = {}
    hotkeys: Dict[str, List[Tuple[str, List[Any]]]] = {}
    commands: List[Tuple[List[Tuple[str, str]], List[Tuple[str, List[Any]]]]] = []
    for part in tree.children:
        kind = type(part).__name__
        if kind == "TalonMatches":
            for match in part.children:
                if type(match).__name__ != "TalonMatch":
                    continue
                key, value = match.left.text.strip(), match.right.text.strip()
                if match.modifiers:
                    raise NotImplementedError(f"{path}: match modifiers are not simulated")
                header_line(path, key, value, modes, oses, apps)
        elif kind == "TalonDeclarations":
            for declaration in part.children:
                dkind = type(declaration).__name__
                if dkind == "TalonSettingsDeclaration":
                    for assignment in declaration.right.children:
                        if type(assignment).__name__ == "TalonAssignmentStatement":
                            settings[assignment.left.text] = _literal(assignment.right)
                elif dkind == "TalonKeyBindingDeclaration":
                    key = declaration.left.text[len("key("):-1].strip()
                    hotkeys[key] = _actions(declaration.right)
                elif dkind == "TalonCommandDeclaration":
                    commands.append((_rule(declaration.left), _actions(declaration.right)))
                elif dkind != "TalonComment":
                    raise NotImplementedError(f"{path}: {dkind} is not simulated")
    return TalonFile(path, modes, oses, settings, hotkeys, commands, apps)


def header_lines(header: str) -> List[Tuple[str, str]]:
    """"mode: all\napp.exe: code.exe" -> [("mode", "all"), ("app.exe", "code.exe")]."""
    lines = []
    for line in (header or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() and value.strip():
            lines.append((key.strip(), value.strip()))
    return lines


def _literal(node: Any) -> Any:
    kind = type(node).__name__
    if kind == "TalonString":
        return "".join(child.text for child in node.children if type(child).__name__ == "TalonStringContent")
    if kind == "TalonInteger":
        return int(node.text)
    if kind == "TalonFloat":
        return float(node.text)
    if kind == "TalonUnaryOperator" and node.operator.text == "-":
        return -_literal(node.right)
    if kind == "TalonVariable" and node.text in ("true", "false"):
        return node.text == "true"
    raise NotImplementedError(f"literal {kind} ({node.text}) is not simulated")


def _actions(block: Any) -> List[Tuple[str, List[Any]]]:
    out = []
    for statement in block.children:
        kind = type(statement).__name__
        if kind == "TalonComment":
            continue
        if kind != "TalonExpressionStatement" or type(statement.expression).__name__ != "TalonAction":
            raise NotImplementedError(f"statement {statement.text!r} is not simulated")
        action = statement.expression
        arguments = [_literal(argument) for argument in action.arguments.children
                     if type(argument).__name__ not in ("TalonComment",)]
        out.append((action.action_name.text, arguments))
    return out


def _rule(rule: Any) -> List[Tuple[str, str]]:
    parts: List[Tuple[str, str]] = []

    def walk(node: Any) -> None:
        kind = type(node).__name__
        if kind == "TalonWord":
            parts.append(("word", node.text.lower()))
        elif kind == "TalonCapture":
            parts.append(("capture", node.text.strip("<>")))
        elif kind in ("TalonSeq", "TalonRule"):
            for child in node.children:
                walk(child)
        elif kind in ("TalonStartAnchor", "TalonEndAnchor"):
            pass
        else:
            raise NotImplementedError(f"rule element {kind} ({node.text}) is not simulated")

    walk(rule)
    return parts


def match_rule(rule: List[Tuple[str, str]], words: List[str]) -> Optional[int]:
    """A score (literal words matched) when `words` match the rule whole; None otherwise."""
    if rule and rule[-1][0] == "capture" and rule[-1][1] in ("phrase", "user.text"):
        head = rule[:-1]
        if len(words) <= len(head) or any(kind != "word" for kind, _ in head):
            return None
        return len(head) if [w for _, w in head] == words[: len(head)] else None
    if any(kind != "word" for kind, _ in rule):
        raise NotImplementedError(f"captures other than a final <phrase> are not simulated: {rule}")
    return len(rule) if [w for _, w in rule] == words else None


# tree-sitter-talon in another Python -------------------------------------------------------------

PARSER_PYTHON_VARIABLE = "TALON_SIM_PARSER_PYTHON"
_parsed_elsewhere: Dict[Tuple[str, str], Dict[str, Any]] = {}  # (path, sha256 of its bytes) -> reply


def _parse_in_other_python(path: str, missing: ImportError) -> TalonFile:
    """The TalonFile another Python's parse_talon_file gives, cached per path and content (within a
    process; content rather than mtime, which two quick writes can share). The other .talon files
    of the folder are parsed in the same run: a simulated Talon loads them all."""
    import glob
    import os

    key = (path, _digest(path))
    if key not in _parsed_elsewhere:
        folder = glob.escape(os.path.dirname(path) or ".")
        others = [(other, _digest(other)) for other in sorted(glob.glob(os.path.join(folder, "*.talon"))) if other != path]
        wanted = [key] + [other for other in others if other not in _parsed_elsewhere]
        replies = _run_parser([name for name, _ in wanted], missing)
        _parsed_elsewhere.update(zip(wanted, replies))
    reply = _parsed_elsewhere[key]
    if "error" in reply:
        kind, message = reply["error"]
        if kind == "NotImplementedError":  # what this module raises for anything it does not simulate
            raise NotImplementedError(message)
        raise TalonFileError(f"{path}: {kind}: {message} (tree-sitter-talon, in {reply['python']})")
    return _from_json(reply["file"])


class TalonFileError(Exception):
    """tree-sitter-talon, in another Python, did not parse a file."""


def _digest(path: str) -> str:
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return ""  # the parser reports the missing file as it would here


def _parser_python() -> Tuple[Optional[str], str]:
    """A Python with tree-sitter-talon, and where it was looked for."""
    import os

    chosen = os.environ.get(PARSER_PYTHON_VARIABLE)
    if chosen:
        return chosen, f"${PARSER_PYTHON_VARIABLE}={chosen}"
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for candidate in (os.path.join(repo, ".venv", "bin", "python"), os.path.join(repo, ".venv", "Scripts", "python.exe")):
        if os.path.isfile(candidate):
            return candidate, candidate
    return None, os.path.join(repo, ".venv") + " (no Python there)"


def _run_parser(paths: List[str], missing: ImportError) -> List[Dict[str, Any]]:
    import json
    import os
    import subprocess
    import sys

    python, looked = _parser_python()
    cannot = (f"cannot parse {paths[0]}: tree-sitter-talon is not importable in this Python "
              f"{sys.version.split()[0]} ({missing}; tree-sitter-talon==3!1.7 requires Python < 3.13), "
              f"so a Python that has it parses the .talon files, and ")
    how = (f". Build .venv with `make test` (or `make .venv/.installed`), or set {PARSER_PYTHON_VARIABLE} "
           f"to a Python with tree-sitter-talon==3!1.7.")
    if python is None:
        raise RuntimeError(cannot + f"there is none at {looked}" + how)
    try:  # -I: none of this Python's PYTHON* variables reach the other one
        done = subprocess.run([python, "-I", os.path.abspath(__file__), *paths],
                              capture_output=True, text=True, encoding="utf-8", timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        raise RuntimeError(cannot + f"{looked} did not run ({error})" + how) from None
    if done.returncode != 0:
        raise RuntimeError(cannot + f"{looked} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}" + how)
    replies = json.loads(done.stdout)
    assert len(replies) == len(paths), (paths, replies)
    return replies


def _from_json(data: Dict[str, Any]) -> TalonFile:
    """JSON has lists where TalonFile has tuples: put them back."""
    def actions(items: List[Any]) -> List[Tuple[str, List[Any]]]:
        return [(name, list(arguments)) for name, arguments in items]

    return TalonFile(path=data["path"], modes=list(data["modes"]), oses=list(data["oses"]),
                     settings=dict(data["settings"]),
                     hotkeys={key: actions(value) for key, value in data["hotkeys"].items()},
                     commands=[([(kind, text) for kind, text in rule], actions(body)) for rule, body in data["commands"]],
                     apps={key: list(values) for key, values in data["apps"].items()})


def _main(paths: List[str]) -> None:
    """Run as a script (by _run_parser): parse each file here and print the replies as JSON."""
    import json
    import sys

    import tree_sitter_talon  # an ImportError here is the answer: this Python cannot parse either

    python = "Python %d.%d (%s)" % (*sys.version_info[:2], sys.executable)
    replies: List[Dict[str, Any]] = []
    for path in paths:
        try:
            replies.append({"file": asdict(_parse_here(tree_sitter_talon, path))})
        except Exception as error:  # the caller raises it for the file it asked about
            replies.append({"error": [type(error).__name__, str(error)], "python": python})
    json.dump(replies, sys.stdout)


if __name__ == "__main__":  # never under Talon, which imports this file
    import sys

    _main(sys.argv[1:])
