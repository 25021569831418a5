""".talon files as Talon applies them: parsed with tree-sitter-talon, headers, settings,
hotkeys, and voice commands matched against the words of an utterance."""

from __future__ import annotations

from dataclasses import dataclass, field
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


HEADER_KINDS = ("mode", "os", "app.exe", "app.name")


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
    """Read a .talon file with tree-sitter-talon, as Talon would apply it."""
    import tree_sitter_talon as tst

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
