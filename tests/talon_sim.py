"""A Talon simulator: loads this repository the way Talon does and runs it.

It models ../shared/TALON_FACTS.md, not our wishes. Where a fact is only "likely", a switch
lets tests run the plugin with the fact false too (see `Talon.__init__`). Importing this
file does nothing (Talon imports it too): everything happens when a test builds `Talon`.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import queue
import random
import re
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

MAIN_THREAD_NAME = "talon-main"
_ATEXIT_REGISTER = atexit.register
_PENDING_AT_EXIT: List[Callable[[], Any]] = []  # what simulated Talons' user code gave atexit, not run yet


def _run_pending_at_exit() -> None:
    """The test process exits: run what no simulated Talon's `exit` ran (as the process would)."""
    for fn in reversed(list(_PENDING_AT_EXIT)):
        try:
            fn()
        except Exception:
            pass
PHRASE_THREAD_NAME = "talon-speech"


class SettingsReadDuringImport(RuntimeError):
    """Talon 0.4 throws when a setting is read while files are being imported (fact: sure)."""


# ---------------------------------------------------------------------------------------------
# The fake `talon` package, one object per simulated Talon
# ---------------------------------------------------------------------------------------------


class _Job:
    def __init__(self, due: float, fn: Callable[[], Any], interval: Optional[float]) -> None:
        self.due, self.fn, self.interval, self.cancelled = due, fn, interval, False


def _parse_time(spec: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*", spec)
    if not match:
        raise ValueError(f"cron: bad time spec {spec!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value * 60 if unit == "m" else value


class Cron:
    """talon.cron: callbacks run on the main thread (fact: sure)."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def after(self, spec: str, fn: Callable[[], Any]) -> _Job:
        return self._talon._schedule(_parse_time(spec), fn, None)

    def interval(self, spec: str, fn: Callable[[], Any]) -> _Job:
        period = _parse_time(spec)
        return self._talon._schedule(period, fn, period)

    def cancel(self, job: Optional[_Job]) -> None:
        if job is not None:
            job.cancelled = True


class _ActionNamespace:
    def __init__(self, talon: "Talon", prefix: str) -> None:
        self._talon, self._prefix = talon, prefix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        full = f"{self._prefix}.{name}" if self._prefix else name
        if full in self._talon.actions_impl:
            return self._talon._action_caller(full)
        if any(key.startswith(full + ".") for key in self._talon.actions_impl):
            return _ActionNamespace(self._talon, full)
        raise AttributeError(f"no Talon action named {full}")


class Module:
    """talon.Module: declares settings, modes, lists and actions."""

    def __init__(self, talon: "Talon", owner: str) -> None:
        self._talon, self._owner = talon, owner

    def setting(self, name: str, type: type, default: Any = None, desc: str = "") -> None:
        if not desc:
            raise ValueError(f"setting {name} needs a desc")
        self._talon.settings_decl[f"user.{name}"] = (type, default, self._owner)

    def mode(self, name: str, desc: str = "") -> None:
        self._talon.modes_decl.add(f"user.{name}")

    def tag(self, name: str, desc: str = "") -> None:
        self._talon.tags_decl.add(f"user.{name}")

    def list(self, name: str, desc: str = "") -> None:
        self._talon.lists.setdefault(f"user.{name}", {})

    def action_class(self, cls: type) -> type:
        for name, fn in vars(cls).items():
            if callable(fn) and not name.startswith("_"):
                if not (fn.__doc__ or "").strip():
                    raise ValueError(f"action user.{name} needs a docstring (Talon requires one)")
                _check_annotations(fn)
                self._talon.actions_impl[f"user.{name}"] = fn
                self._talon.action_owner[f"user.{name}"] = self._owner
        return cls


def _check_annotations(fn: Callable[..., Any]) -> None:
    """Talon 0.4 rejects `X | Y` annotations in action signatures (fact: sure)."""
    for value in getattr(fn, "__annotations__", {}).values():
        text = value if isinstance(value, str) else repr(value)
        if "|" in text or isinstance(value, types.UnionType):
            raise TypeError(f"action {fn.__name__}: use Optional[X]/Union, not X | Y ({text})")


class Context:
    """talon.Context: settings and lists that apply when `matches` does."""

    def __init__(self, talon: "Talon", owner: str) -> None:
        self._talon, self._owner = talon, owner
        self.matches = ""
        self.settings: Dict[str, Any] = {}
        self.lists: Dict[str, Any] = {}
        talon.contexts.append(self)


class Settings:
    """talon.settings."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def get(self, name: str, default: Any = None) -> Any:
        return self._talon.setting(name)


class App:
    """talon.app."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon
        self.platform = talon.platform

    def register(self, topic: str, fn: Callable[[], Any]) -> None:
        self._talon._app_register(topic, fn)

    def unregister(self, topic: str, fn: Callable[[], Any]) -> None:
        self._talon.app_callbacks.get(topic, []).remove(fn)

    def notify(self, title: str = "", subtitle: str = "", body: str = "", sound: bool = False) -> None:
        self._talon._main_only("app.notify")
        self._talon.notifications.append({"title": title, "subtitle": subtitle, "body": body})


class SpeechSystem:
    """talon.speech_system."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def register(self, topic: str, fn: Callable[[dict], Any]) -> None:
        self._talon.speech_callbacks.setdefault(topic, []).append(fn)

    def unregister(self, topic: str, fn: Callable[[dict], Any]) -> None:
        callbacks = self._talon.speech_callbacks.get(topic, [])
        if fn not in callbacks:
            raise ValueError("callback not registered")
        callbacks.remove(fn)


class ImguiGUI:
    """What an imgui draw function writes, as lines."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def text(self, text: str) -> None:
        self.lines.append(str(text))

    def line(self) -> None:
        self.lines.append("---")

    def spacer(self) -> None:
        self.lines.append("")

    def button(self, label: str) -> bool:
        self.lines.append(f"[{label}]")
        return False


class _ImguiWindow:
    def __init__(self, talon: "Talon", draw: Callable[[ImguiGUI], Any]) -> None:
        self._talon, self._draw, self.showing = talon, draw, False
        talon.imgui_windows.append(self)

    def show(self) -> None:
        self._talon._main_only("imgui.show")
        self.showing = True

    def hide(self) -> None:
        self._talon._main_only("imgui.hide")
        self.showing = False

    def render(self) -> List[str]:
        gui = ImguiGUI()
        self._draw(gui)
        return gui.lines


class Imgui:
    """talon.imgui."""

    GUI = ImguiGUI

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def open(self, **kwargs: Any) -> Callable[[Callable[[ImguiGUI], Any]], _ImguiWindow]:
        return lambda draw: _ImguiWindow(self._talon, draw)


class Scope:
    """talon.scope: `scope.get("mode")` is the set of active modes (public scripts rely on it)."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def get(self, key: str, default: Any = None) -> Any:
        return set(self._talon.modes) if key == "mode" else default


class _ParsedPhrase:
    """The "parsed" object of a phrase: `_sequence` is the commands Talon will run."""

    def __init__(self, sequence: List[Any]) -> None:
        self._sequence = sequence


@dataclass
class Word:
    text: str
    start: float
    end: float

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------------------------------------
# .talon files
# ---------------------------------------------------------------------------------------------


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


def _header_line(path: str, key: str, value: str, modes: List[str], oses: List[str],
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
                _header_line(path, key, value, modes, oses, apps)
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


def _header_lines(header: str) -> List[Tuple[str, str]]:
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


def _match_rule(rule: List[Tuple[str, str]], words: List[str]) -> Optional[int]:
    """A score (literal words matched) when `words` match the rule whole; None otherwise."""
    if rule and rule[-1][0] == "capture" and rule[-1][1] in ("phrase", "user.text"):
        head = rule[:-1]
        if len(words) <= len(head) or any(kind != "word" for kind, _ in head):
            return None
        return len(head) if [w for _, w in head] == words[: len(head)] else None
    if any(kind != "word" for kind, _ in rule):
        raise NotImplementedError(f"captures other than a final <phrase> are not simulated: {rule}")
    return len(rule) if [w for _, w in rule] == words else None


# ---------------------------------------------------------------------------------------------
# The simulated Talon
# ---------------------------------------------------------------------------------------------


@dataclass
class Phrase:
    """What `speak` delivered, and what became of it."""

    words: List[str]
    samples: Optional[Any]
    delivered_at: float
    cancelled: bool = False
    ran: List[str] = field(default_factory=list)


class Talon:
    """One simulated Talon process with a user directory.

    phrase_thread: "background" (TALON_FACTS: likely) or "main" (the fact false).
    samples_on_rejected: whether a phrase no rule matched still carries "samples" (unknown).
    reload_clears_callbacks: whether Talon drops a reloaded file's speech/app callbacks (unknown).
    phrases_have_samples: False models a Talon that gives phrases no audio at all.
    chain_commands: whether an utterance ending in a command runs as `<phrase>` then that command
        (TALON_FACTS: likely; talonhub/community#1458) rather than as one `<phrase>`.
    reload_in_place: whether a reloaded file's new code runs in the module object its siblings
        imported (they see it) or in a new one (they keep the old code); not documented.
    modifier_hold_seconds: how long the hotkey's keys stay down (None: 0.1 to 1.5 s, drawn
        per press); the modifiers come up `modifier_lag_seconds` after the key.
    reuse_sample_buffer: Talon's buffer holding a phrase's samples is overwritten once the
        phrase's callbacks return (whether Talon reuses it is not known: a plugin must copy).
    setting_tie: which of two equally specific active files wins a setting ("last" loaded or
        "first"): not documented, so the plugin must not depend on it.
    """

    def __init__(
        self,
        user_dir: str,
        platform: str = "windows",
        phrase_thread: str = "background",
        samples_on_rejected: bool = False,
        reload_clears_callbacks: bool = False,
        phrases_have_samples: bool = True,
        modifier_hold_seconds: Optional[float] = None,
        modifier_lag_seconds: float = 0.15,
        cubeb: Optional[Any] = None,
        unavailable: Sequence[str] = (),
        community: bool = False,
        chain_commands: bool = False,
        reload_in_place: bool = False,
        reuse_sample_buffer: bool = True,
        setting_tie: str = "last",
        app_exe: str = "notepad.exe",
        app_name: str = "Notepad",
        seed: int = 0,
    ) -> None:
        self.user_dir = os.path.abspath(user_dir)
        self.platform = platform
        self.phrase_thread = phrase_thread
        self.samples_on_rejected = samples_on_rejected
        self.reload_clears_callbacks = reload_clears_callbacks
        self.phrases_have_samples = phrases_have_samples
        self.modifier_hold_seconds = modifier_hold_seconds
        self.modifier_lag_seconds = modifier_lag_seconds
        self.chain_commands = chain_commands
        self.reload_in_place = reload_in_place
        self.reuse_sample_buffer = reuse_sample_buffer
        self.setting_tie = setting_tie
        self.app_exe, self.app_name = app_exe, app_name  # the focused application
        self.random = random.Random(seed)
        self.presses: List[float] = []  # how long each press held its keys
        self.atexit: List[Callable[[], Any]] = []  # what user code registered with atexit
        self.cubeb = cubeb
        self.community = community  # talonhub/community's actions (user.edit_text_file) are installed
        self.opened: List[str] = []
        self.insert_error: Optional[BaseException] = None  # make actions.insert fail (a fault to inject)
        self.unavailable = set(unavailable)  # packages Talon's Python lacks, refused while importing user files
        self.import_seconds: Dict[str, float] = {}
        self.settings_decl: Dict[str, Tuple[type, Any, str]] = {}
        self.modes_decl = {"command", "dictation", "sleep", "all"}
        self.tags_decl: set = set()
        self.lists: Dict[str, Dict[str, str]] = {}
        self.actions_impl: Dict[str, Callable[..., Any]] = {}
        self.action_owner: Dict[str, str] = {}
        self.contexts: List[Context] = []
        self.app_callbacks: Dict[str, List[Callable[[], Any]]] = {}
        self.speech_callbacks: Dict[str, List[Callable[[dict], Any]]] = {}
        self.callback_owner: Dict[int, str] = {}
        self.imgui_windows: List[_ImguiWindow] = []
        self.talon_files: Dict[str, TalonFile] = {}
        self.test_files: Dict[str, TalonFile] = {}  # the user's own files, as set_setting writes them
        self.modes: set = {"command"}
        self.speech_enabled = True
        self.typed: List[str] = []
        self.document = ""  # the focused text field: inserts land at its end, backspaces remove from it
        self.type_events: List[Tuple[float, str]] = []
        self.keys: List[str] = []
        self.notifications: List[Dict[str, str]] = []
        self.violations: List[str] = []
        self.main_task_seconds: List[float] = []
        self.phrases: List[Phrase] = []
        self.errors: List[BaseException] = []
        self.log: List[str] = []
        self.ready = False
        self.importing: Optional[str] = None
        self._modifiers_down_until = 0.0
        self._jobs: "queue.PriorityQueue[Tuple[float, int, _Job]]" = queue.PriorityQueue()
        self._sequence = 0
        self._busy = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a job was scheduled: the main loop looks again at once
        self._main = threading.Thread(target=self._main_loop, name=MAIN_THREAD_NAME, daemon=True)
        self._speech_queue: "queue.Queue[Optional[Tuple[Phrase, dict]]]" = queue.Queue()
        self._speech = threading.Thread(target=self._speech_loop, name=PHRASE_THREAD_NAME, daemon=True)
        self._modules: Dict[str, types.ModuleType] = {}
        self._saved_modules: Dict[str, Any] = {}
        self._talon_pkg = self._build_talon_package()

    # -- the talon package ---------------------------------------------------------------------

    def _build_talon_package(self) -> types.ModuleType:
        talon = types.ModuleType("talon")
        talon.__path__ = []  # type: ignore[attr-defined]
        talon.cron = Cron(self)
        talon.actions = _Actions(self)
        talon.settings = Settings(self)
        talon.app = App(self)
        talon.speech_system = SpeechSystem(self)
        talon.imgui = Imgui(self)
        talon.scope = Scope(self)
        talon.Module = lambda: Module(self, self.importing or "?")
        talon.Context = lambda: Context(self, self.importing or "?")
        lib = types.ModuleType("talon.lib")
        lib.__path__ = []  # type: ignore[attr-defined]
        talon.lib = lib
        return talon

    def _install_talon(self) -> None:
        names = ["talon", "talon.lib", "talon.lib.cubeb", "user"]
        for name in names:
            if name in sys.modules and name not in self._saved_modules:
                self._saved_modules[name] = sys.modules[name]
        if self.unavailable:  # packages Talon's Python lacks stay unavailable for its whole life
            sys.meta_path.insert(0, _Unavailable(self.unavailable))
        sys.modules["talon"] = self._talon_pkg
        sys.modules["talon.lib"] = self._talon_pkg.lib
        if not _PENDING_AT_EXIT and not getattr(_run_pending_at_exit, "registered", False):
            _ATEXIT_REGISTER(_run_pending_at_exit)
            _run_pending_at_exit.registered = True  # type: ignore[attr-defined]
        atexit.register = self._atexit_register  # type: ignore[assignment]  # run at `exit`, not at the process's
        if self.cubeb is not None:
            sys.modules["talon.lib.cubeb"] = self.cubeb
            self._talon_pkg.lib.cubeb = self.cubeb
        else:
            sys.modules.pop("talon.lib.cubeb", None)

    # -- loading -------------------------------------------------------------------------------

    def start(self) -> "Talon":
        """Launch: import every file of the user directory, then fire `ready` on the main thread."""
        self._install_talon()
        self._main.start()
        self._speech.start()
        user = types.ModuleType("user")
        user.__path__ = [self.user_dir]  # type: ignore[attr-defined]
        sys.modules["user"] = user
        for path in user_files(self.user_dir):
            self._load_file(path)
        if self.community:  # what talonhub/community's core/edit_text_file.py provides
            self.actions_impl["user.edit_text_file"] = lambda path: self.opened.append(path)
            self.action_owner["user.edit_text_file"] = "community"
        self.ready = True
        self.call_on_main(lambda: [fn() for fn in list(self.app_callbacks.get("ready", []))])
        return self

    def _load_file(self, path: str, in_place: bool = False) -> None:
        """Import (or re-import) one file. `in_place`: the new code runs in the module object
        already there, so files that imported it see the new code."""
        if path.endswith(".talon"):
            self.talon_files[path] = parse_talon_file(path)
            return
        if path.endswith(".talon-list"):
            return
        name = module_name(self.user_dir, path)
        self._ensure_packages(name)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = self._modules.get(path) if in_place else None
        if module is None:
            module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        self.importing = name
        started = time.perf_counter()
        try:
            spec.loader.exec_module(module)
        except BaseException as error:  # Talon logs the error and goes on with other files
            self.errors.append(error)
            self.log.append(f"ERROR loading {name}: {error!r}")
            sys.modules.pop(name, None)
        finally:
            self.import_seconds[name] = time.perf_counter() - started
            self.importing = None
        self._modules[path] = module

    def _atexit_register(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """atexit.register as seen by user code: run when this Talon exits (or the test process does)."""
        handler = lambda: fn(*args, **kwargs)  # noqa: E731
        self.atexit.append(handler)
        _PENDING_AT_EXIT.append(handler)
        return fn

    def _ensure_packages(self, name: str) -> None:
        parts = name.split(".")
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            if package not in sys.modules:
                module = types.ModuleType(package)
                module.__path__ = [os.path.join(self.user_dir, *parts[1:depth])]  # type: ignore[attr-defined]
                sys.modules[package] = module

    def reload(self, relative_path: str) -> None:
        """Talon saw the file change: its declarations go, and it runs again from the top.

        Done on the main thread, as Talon's own reloads are, so no cron callback runs halfway.
        """
        self.call_on_main(lambda: self._reload(relative_path))

    def _reload(self, relative_path: str) -> None:
        path = os.path.join(self.user_dir, relative_path)
        name = module_name(self.user_dir, path)
        for action, owner in list(self.action_owner.items()):
            if owner == name:
                del self.actions_impl[action]
                del self.action_owner[action]
        for setting, (_, _, owner) in list(self.settings_decl.items()):
            if owner == name:
                del self.settings_decl[setting]
        if self.reload_clears_callbacks:
            for topic, callbacks in self.speech_callbacks.items():
                callbacks[:] = [fn for fn in callbacks if getattr(fn, "__module__", "") != name]
            for topic, callbacks in self.app_callbacks.items():
                callbacks[:] = [fn for fn in callbacks if getattr(fn, "__module__", "") != name]
        self._load_file(path, in_place=self.reload_in_place)

    def stop(self) -> None:
        """Talon exits: stop its threads and restore sys.modules."""
        self._stop.set()
        self._speech_queue.put(None)
        self._schedule(0, lambda: None, None)
        self._main.join(2)
        self._speech.join(2)
        for name in [n for n in sys.modules if n == "user" or n.startswith("user.")]:
            del sys.modules[name]
        for name in ("talon", "talon.lib", "talon.lib.cubeb"):
            sys.modules.pop(name, None)
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _Unavailable)]
        sys.modules.update(self._saved_modules)
        if getattr(atexit.register, "__self__", None) is self:
            atexit.register = _ATEXIT_REGISTER  # type: ignore[assignment]

    # -- settings and modes --------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        """The value of the most specific active file or context that sets `name` (fact: likely);
        between equally specific ones, `setting_tie` decides (not documented)."""
        if self.importing is not None:
            raise SettingsReadDuringImport(f"setting {name} read while importing {self.importing}")
        candidates: List[Tuple[int, Any]] = []
        for talon_file in list(self.talon_files.values()) + list(self.test_files.values()):
            if name in talon_file.settings and self._file_active(talon_file):
                candidates.append((talon_file.requirements, talon_file.settings[name]))
        for context in self.contexts:
            if name in context.settings and self._context_active(context):
                candidates.append((len(_header_lines(context.matches)), context.settings[name]))
        found = bool(candidates)
        if found:
            top = max(level for level, _ in candidates)
            tied = [value for level, value in candidates if level == top]
            value = tied[-1] if self.setting_tie == "last" else tied[0]
        if name not in self.settings_decl:
            if found:
                return value
            raise KeyError(f"setting {name} is not declared")
        kind, default, _ = self.settings_decl[name]
        return kind(value) if found else default

    def set_setting(self, name: str, value: Any, header: str = "") -> None:
        """The user sets `name` in a .talon file of their own with this header: with none (as
        community's settings.talon), it applies in command mode only (fact: sure)."""
        talon_file = self.test_files.get(header)
        if talon_file is None:
            modes: List[str] = []
            oses: List[str] = []
            apps: Dict[str, List[str]] = {}
            for key, value_ in _header_lines(header):
                _header_line("<test>", key, value_, modes, oses, apps)
            talon_file = TalonFile(f"<user file: {header or 'no header'}>", modes, oses, {}, {}, [], apps)
            self.test_files[header] = talon_file
        talon_file.settings[name] = value

    def add_user_file(self, relative_path: str, text: str) -> str:
        """The user saves a file in their user directory; Talon loads it."""
        path = os.path.join(self.user_dir, relative_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        if self.ready:
            self.call_on_main(lambda: self._load_file(path))
        return path

    def _file_active(self, talon_file: TalonFile) -> bool:
        if talon_file.oses and self.platform not in talon_file.oses:
            return False
        if "app.exe" in talon_file.apps and self.app_exe.lower() not in talon_file.apps["app.exe"]:
            return False
        if "app.name" in talon_file.apps and self.app_name.lower() not in talon_file.apps["app.name"]:
            return False
        modes = talon_file.modes or ["command"]
        return "all" in modes or any(mode in self.modes for mode in modes)

    def _context_active(self, context: Context) -> bool:
        lines = _header_lines(context.matches)
        modes = [value for key, value in lines if key == "mode"]
        apps = [value.lower() for key, value in lines if key == "app.exe"]
        if apps and self.app_exe.lower() not in apps:
            return False
        return not modes or "all" in modes or any(mode in self.modes for mode in modes)

    # -- the main thread -----------------------------------------------------------------------

    def _schedule(self, delay: float, fn: Callable[[], Any], interval: Optional[float]) -> _Job:
        job = _Job(time.monotonic() + delay, fn, interval)
        self._sequence += 1
        self._jobs.put((job.due, self._sequence, job))
        self._wake.set()
        return job

    def _main_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before get(): a job scheduled from here on wakes the wait below
            due, _, job = self._jobs.get()
            wait = due - time.monotonic()
            if wait > 0:
                # Talon runs cron.after("0ms", fn) as soon as its main thread is free
                # (TALON_FACTS: cron.after(delay, fn)); no polling step of our own is added to it
                self._jobs.put((due, _, job))
                self._wake.wait(wait)
                continue
            if job.cancelled or self._stop.is_set():
                continue
            self._busy.set()
            started = time.perf_counter()
            try:
                job.fn()
            except BaseException as error:
                self.errors.append(error)
                self.log.append(f"ERROR in main-thread callback: {error!r}")
            finally:
                self.main_task_seconds.append(time.perf_counter() - started)
                self._busy.clear()
            if job.interval is not None and not job.cancelled:
                job.due = time.monotonic() + job.interval
                self._sequence += 1
                self._jobs.put((job.due, self._sequence, job))

    def call_on_main(self, fn: Callable[[], Any], timeout: float = 30) -> Any:
        """Run `fn` on the main thread (as a hotkey or voice command would) and wait for it."""
        done = threading.Event()
        box: Dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as error:
                box["error"] = error
                raise
            finally:
                done.set()

        self._schedule(0, run, None)
        if not done.wait(timeout):
            raise TimeoutError("the main thread did not run the call")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def _main_only(self, what: str) -> None:
        if threading.current_thread().name != MAIN_THREAD_NAME:
            self.violations.append(f"{what} called on thread {threading.current_thread().name}")

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Wait (real time) until `condition` holds; False if it never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.01)
        return condition()

    def settle(self, quiet: float = 0.3, timeout: float = 60.0) -> None:
        """Wait until no main-thread job is due within `quiet` seconds and none is running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = [job for _, _, job in list(self._jobs.queue) if not job.cancelled and job.interval is None]
            soon = [job for job in pending if job.due - time.monotonic() < quiet]
            if not soon and not self._busy.is_set() and self._speech_queue.empty():
                time.sleep(quiet)
                pending = [job for _, _, job in list(self._jobs.queue) if not job.cancelled and job.interval is None]
                if not [job for job in pending if job.due - time.monotonic() < quiet] and not self._busy.is_set():
                    return
            time.sleep(0.01)

    # -- actions -------------------------------------------------------------------------------

    def _action_caller(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._main_only(f"actions.{name}")
            return self.actions_impl[name](*args, **kwargs)

        return call

    def _builtin_actions(self) -> Dict[str, Callable[..., Any]]:
        def insert(text: str) -> None:
            if self.insert_error is not None:
                raise self.insert_error
            if time.monotonic() < self._modifiers_down_until:
                self.violations.append(f"insert({text!r}) while the hotkey's modifiers were held (talon#675)")
            self.typed.append(text)
            self.type_events.append((time.monotonic(), text))
            self.document += text

        def key(spec: str) -> None:
            # `actions.key("backspace:3")` presses backspace three times (TALON_FACTS, sure)
            self.keys.append(spec)
            name, _, repeat = spec.partition(":")
            if name == "backspace":
                count = int(repeat or 1)
                self.document = self.document[:-count] if count else self.document

        def mode_enable(mode: str) -> None:
            self._check_mode(mode)
            self.modes.add(mode)

        def mode_disable(mode: str) -> None:
            self._check_mode(mode)
            self.modes.discard(mode)

        def app_notify(body: str = "", title: str = "") -> None:
            self.notifications.append({"title": title, "subtitle": "", "body": body})

        def speech_enable() -> None:
            self.speech_enabled = True

        def speech_disable() -> None:
            self.speech_enabled = False

        return {
            "insert": insert, "key": key, "skip": lambda: None, "sleep": lambda duration="": None,
            "mode.enable": mode_enable, "mode.disable": mode_disable,
            "app.notify": app_notify, "speech.enable": speech_enable, "speech.disable": speech_disable,
            "speech.enabled": lambda: self.speech_enabled,
            "edit.undo": lambda: self.keys.append("ctrl-z"),
        }

    def _check_mode(self, mode: str) -> None:
        if mode not in self.modes_decl:
            raise ValueError(f"unknown mode {mode}")

    def run_actions(self, actions: List[Tuple[str, List[Any]]], captures: Optional[Dict[str, Any]] = None) -> List[str]:
        ran = []
        for name, arguments in actions:
            self._talon_pkg.actions._call(name, *arguments)
            ran.append(name)
        return ran

    # -- the user's keyboard -------------------------------------------------------------------

    def press(self, key: str, wait: bool = True) -> None:
        """The user presses a key combination and lets go: `key(...)` bindings run on the main
        thread at once, `key(...:up)` ones when the key comes up; the modifiers come up a
        moment later. Typing while they are down types modified keys (talonvoice/talon#675)."""
        modifiers = key.split("-")[:-1]
        hold = self.modifier_hold_seconds
        if hold is None:
            hold = self.random.uniform(0.1, 1.5)
        self.presses.append(hold)
        pressed = time.monotonic()
        if modifiers:
            self._modifiers_down_until = max(self._modifiers_down_until, pressed + hold + self.modifier_lag_seconds)
        down = self._bindings(key)
        if not down and not self._bindings(key + ":up"):
            self.keys.append(f"unbound:{key}")
        if down:
            self.call_on_main(lambda: self.run_actions(down[0]))
        released = threading.Event()

        def release() -> None:
            up = self._bindings(key + ":up")  # the modes may have changed since the key went down
            try:
                if up:
                    self.run_actions(up[0])
            finally:
                released.set()

        self._schedule(max(0.0, pressed + hold - time.monotonic()), release, None)
        if wait:
            released.wait(30)
            time.sleep(max(0.0, self._modifiers_down_until - time.monotonic()) if modifiers else 0.0)

    def _bindings(self, key: str) -> List[List[Tuple[str, List[Any]]]]:
        return [f.hotkeys[key] for f in self.talon_files.values() if key in f.hotkeys and self._file_active(f)]

    # -- the user's voice ----------------------------------------------------------------------

    def speak(self, samples: Any = None, words: Optional[str] = None, wait: bool = True,
              word_times: Optional[Sequence[Tuple[float, float]]] = None) -> Phrase:
        """Talon's VAD cut a phrase: `words` is what Talon's own recogniser made of it.

        words=None: the recogniser matches what it can; with a `<phrase>` rule active, some words.
        `word_times`: each word's (start, end) in seconds into `samples` (default: spread evenly).
        """
        if not self.speech_enabled:
            raise RuntimeError("speech is disabled: Talon hears nothing")
        heard = words.lower().split() if words is not None else ["some", "dictated", "words"]
        phrase = Phrase(heard, samples, time.monotonic())
        self.phrases.append(phrase)
        sequence = self._match(heard)
        if not sequence:
            phrase.words = []
        seconds = len(samples) / 16_000 if samples is not None and hasattr(samples, "__len__") else 0.5 * len(heard)
        if word_times is None:
            step = seconds / max(1, len(phrase.words))
            word_times = [(i * step, (i + 1) * step) for i in range(len(phrase.words))]
        ts = time.perf_counter()
        payload: Dict[str, Any] = {
            "phrase": [Word(w, ts + start, ts + end) for w, (start, end) in zip(phrase.words, word_times)],
            "parsed": _ParsedPhrase(sequence),
            "_ts": ts,
            "_metadata": {"emit": 0.0, "decode": 0.0},
        }
        with_samples = self.phrases_have_samples and (bool(sequence) or self.samples_on_rejected)
        if with_samples and samples is not None:
            import numpy as np

            own = isinstance(samples, np.ndarray) and samples.dtype == np.float32
            payload["samples"] = samples.copy() if own else samples  # Talon's buffer, not the caller's
        done = threading.Event()
        if self.phrase_thread == "main":
            self._schedule(0, lambda: self._deliver(phrase, payload, done), None)
        else:
            self._speech_queue.put((phrase, payload, done))  # type: ignore[arg-type]
        if wait:
            done.wait(30)
        return phrase

    def _match(self, words: List[str]) -> List[Tuple[List[Tuple[str, List[Any]]], str]]:
        """The commands an utterance runs: the best whole match, or with `chain_commands` a
        `<phrase>` then a command that ends the utterance (talonhub/community#1458)."""
        best = None
        literal_tails = []
        for talon_file in self.talon_files.values():
            if not self._file_active(talon_file):
                continue
            for rule, actions in talon_file.commands:
                score = _match_rule(rule, words)
                name = " ".join(w for _, w in rule)
                if score is not None and (best is None or score > best[0]):
                    best = (score, actions, name)
                if all(kind == "word" for kind, _ in rule) and 0 < len(rule) < len(words):
                    if [w for _, w in rule] == words[-len(rule):]:
                        literal_tails.append((len(rule), actions, name))
        if best is None:
            return []
        if self.chain_commands and literal_tails and best[0] < len(words):
            size, actions, name = max(literal_tails, key=lambda tail: tail[0])
            head = self._match(words[:-size]) if len(words) > size else []
            if head:
                return head + [(actions, name)]
        return [(best[1], best[2])]

    def _speech_loop(self) -> None:
        while True:
            item = self._speech_queue.get()
            if item is None:
                return
            phrase, payload, done = item  # type: ignore[misc]
            try:
                self._deliver(phrase, payload, done)
            except BaseException as error:
                self.errors.append(error)

    def _deliver(self, phrase: Phrase, payload: Dict[str, Any], done: threading.Event) -> None:
        try:
            for fn in list(self.speech_callbacks.get("pre:phrase", [])):
                try:
                    fn(payload)
                except BaseException as error:  # Talon logs a hook's error and goes on
                    self.errors.append(error)
                    self.log.append(f"ERROR in pre:phrase hook: {error!r}")
            sequence = payload["parsed"]._sequence if payload.get("parsed") is not None else []
            phrase.cancelled = not payload.get("phrase") or not sequence
            if not phrase.cancelled:
                every = [action for actions, _ in sequence for action in actions]
                phrase.ran = self.call_on_main(lambda: self.run_actions(every)) if self.phrase_thread != "main" \
                    else self.run_actions(every)
            for fn in list(self.speech_callbacks.get("phrase", [])):
                fn(payload)
        finally:
            samples = payload.get("samples")
            if self.reuse_sample_buffer and samples is not None and samples is not phrase.samples \
                    and getattr(samples, "dtype", None) is not None and samples.dtype.kind == "f":
                samples[:] = 0.0  # Talon's buffer is refilled by the next phrase
            done.set()

    # -- what the user sees --------------------------------------------------------------------

    def overlay_lines(self) -> List[str]:
        """What every showing imgui window draws, rendered on the main thread."""
        return self.call_on_main(lambda: [line for w in self.imgui_windows if w.showing for line in w.render()])

    def _app_register(self, topic: str, fn: Callable[[], Any]) -> None:
        self.app_callbacks.setdefault(topic, []).append(fn)
        if topic == "ready" and self.ready:
            self._schedule(0, fn, None)  # registered after launch: runs now (fact: sure)

    def exit(self) -> None:
        """Talon quits: `exit` callbacks run, then the handlers user code gave atexit."""
        for fn in list(self.app_callbacks.get("exit", [])):
            fn()
        for fn in reversed(self.atexit):
            if fn in _PENDING_AT_EXIT:
                _PENDING_AT_EXIT.remove(fn)
            fn()

    @property
    def text(self) -> str:
        return "".join(self.typed)


class _Actions:
    """talon.actions: `actions.insert(...)`, `actions.user.whisper_stop()`, `actions.mode.enable(...)`."""

    def __init__(self, talon: Talon) -> None:
        self._talon = talon
        self._builtins = talon._builtin_actions()

    def _call(self, name: str, *args: Any) -> Any:
        if name in self._builtins:
            self._talon._main_only(f"actions.{name}")
            return self._builtins[name](*args)
        return self._talon._action_caller(name)(*args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._builtins:
            return lambda *args: self._call(name, *args)
        prefixed = [key for key in self._builtins if key.startswith(name + ".")]
        if prefixed:
            return _BuiltinNamespace(self, name)
        return _ActionNamespace(self._talon, name)


class _BuiltinNamespace:
    def __init__(self, actions: _Actions, prefix: str) -> None:
        self._actions, self._prefix = actions, prefix

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args: self._actions._call(f"{self._prefix}.{name}", *args)


class _Unavailable:
    """A meta-path finder refusing packages that Talon's Python does not have."""

    def __init__(self, names: "set[str]") -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.names:
            raise ImportError(f"No module named '{name}' (not in Talon's Python)")
        return None


def user_files(user_dir: str) -> List[str]:
    """Every file Talon loads: .py, .talon, .talon-list, skipping dot-named files and folders."""
    found = []
    for root, folders, files in os.walk(user_dir, followlinks=True):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith((".py", ".talon", ".talon-list")):
                found.append(os.path.join(root, name))
    return found


def user_dir_with(repository: str, user_dir: str) -> str:
    """A Talon user directory holding `repository` as the folder superwhisper2/ (as a user installs it)."""
    os.makedirs(user_dir, exist_ok=True)
    link = os.path.join(user_dir, "superwhisper2")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(repository), link, target_is_directory=True)
    return user_dir


def module_name(user_dir: str, path: str) -> str:
    """user/<folders>/<file>.py -> user.<folders>.<file> (fact: sure)."""
    relative = os.path.relpath(path, user_dir)[: -len(".py")]
    return "user." + ".".join(relative.split(os.sep))


def cut_phrases(samples: Any, timeout: float = 0.3) -> List[Any]:
    """Cut audio into phrases the way Talon's VAD does: a pause longer than `timeout` ends one."""
    guard = importlib.import_module("superwhisper2.engine.guard")
    chunks = guard.speech_chunks(samples, min_silence_ms=int(timeout * 1000), pad_ms=100)
    return [samples[chunk["start"]:chunk["end"]] for chunk in chunks]


# Where the shared recordings without a pause Talon would cut at are cut instead: word
# boundaries (after "consulat," and "classes,"), found with faster-whisper's word timestamps.
WORD_BOUNDARY = {"consulat_fr.wav": 1.93, "quilter_en.wav": 3.2}


def sentence_pieces(name: str, samples: Any) -> List[Any]:
    """A shared recording as the phrases of one sentence said with pauses."""
    if name in WORD_BOUNDARY:
        at = int(WORD_BOUNDARY[name] * 16_000)
        return [samples[:at], samples[at:]]
    return cut_phrases(samples)


def cubeb_module(microphone: Any, chunk: int = 160, speed: float = 10.0) -> types.ModuleType:
    """talon.lib.cubeb as TALON_FACTS describes it (likely): an input stream whose `data_cb`
    gets `(stream, in_frames, out_frames)` on an audio thread. It "records" `microphone`
    (float32 samples), `speed` times faster than real time, then silence."""
    import numpy as np

    module = types.ModuleType("talon.lib.cubeb")
    module.SampleFormat = types.SimpleNamespace(FLOAT32NE="float32ne", S16NE="s16ne")
    module.streams = []

    class StreamParams:
        def __init__(self, format: str, rate: int, channels: int) -> None:
            self.format, self.rate, self.channels = format, rate, channels

    class Stream:
        def __init__(self, name: str, params: StreamParams, data_cb: Callable[..., Any]) -> None:
            self.name, self.params, self.data_cb = name, params, data_cb
            self.running = threading.Event()
            self.thread = threading.Thread(target=self._run, name="cubeb-audio", daemon=True)

        def start(self) -> None:
            if self.params.rate != 16_000 or self.params.channels != 1:
                raise ValueError("this microphone records 16 kHz mono only")
            self.running.set()
            self.thread.start()

        def stop(self) -> None:
            self.running.clear()

        def _run(self) -> None:
            audio = np.concatenate([np.asarray(microphone, dtype=np.float32), np.zeros(16_000, dtype=np.float32)])
            position = 0
            while self.running.is_set():
                frames = audio[position:position + chunk] if position < audio.size else np.zeros(chunk, np.float32)
                position += chunk
                self.data_cb(self, frames, None)
                time.sleep(chunk / 16_000 / speed)

    class Context:
        def new_input_stream(self, name: str, device: Any, params: StreamParams, latency: int = 1,
                             data_cb: Optional[Callable[..., Any]] = None) -> Stream:
            stream = Stream(name, params, data_cb)  # type: ignore[arg-type]
            module.streams.append(stream)
            return stream

    module.StreamParams = StreamParams
    module.Context = Context
    return module


# Run in a fresh interpreter, like Talon's: no pytest, no test-only or runtime packages.
_IMPORT_SCRIPT = r"""
import json, sys, tempfile, os, threading
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != os.path.abspath(sys.argv[1])]
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
from talon_sim import Talon, user_dir_with, user_files
import types
user = user_dir_with(sys.argv[1], os.path.join(tempfile.mkdtemp(), "user"))
threads = threading.active_count()
sim = Talon(user, unavailable=["pytest", "_pytest", "jiwer", "hypothesis", "faster_whisper", "ctranslate2",
                                "onnxruntime", "tokenizers", "av", "psutil", "superwhisper2", "talon_sim", "conftest",
                                # Talon's main platform is Windows: Unix-only modules are absent there
                                "resource", "fcntl", "termios", "pwd", "grp", "tty", "pty", "posix", "syslog",
                                "crypt", "readline", "curses"])
import numpy  # Talon has numpy loaded before any user file
sim._install_talon()
pkg = types.ModuleType("user"); pkg.__path__ = [user]; sys.modules["user"] = pkg
for path in user_files(user):
    sim._load_file(path)
print(json.dumps({
    "errors": [repr(e) for e in sim.errors],
    "threads_started": threading.active_count() - threads,
    "heavy_imported": sorted(m for m in ("faster_whisper", "ctranslate2", "onnxruntime") if m in sys.modules),
    "modules": sorted(sim.import_seconds),
    "import_ms": round(sum(sim.import_seconds.values()) * 1000, 1),
    "models": "superwhisper2_runtime_state" in sys.modules,
    "path_tail": sys.path[-1],
}))
"""


def import_report(repository: str) -> Dict[str, Any]:
    """Import every .py of `repository` as Talon would at start-up, in a fresh interpreter whose
    Python lacks test and Whisper packages; report errors, threads started and time taken."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT, os.path.abspath(repository)],
                         capture_output=True, text=True, timeout=120, cwd="/")
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])
