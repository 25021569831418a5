"""One simulated Talon process: it loads a user directory the way Talon does and runs it.

It models ../shared/TALON_FACTS.md, not our wishes: where a fact is only likely or unknown,
`Facts` (facts.py) holds the switch, its default the real Talon's. The main thread
(scheduler.py), the voice (voice.py) and the keyboard (keyboard.py) are parts of it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import random
import sys
import time
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .facts import Facts
from .keyboard import Keyboard, install_windll, remove_windll
from .loading import Unavailable, module_name, user_files
from .scheduler import Scheduler, on_main_thread, wait_until
from .stubs import Context, ImguiWindow, talon_package
from .talon_files import TalonFile, header_line, header_lines, parse_talon_file
from .voice import Phrase, Voice

_ATEXIT_REGISTER = atexit.register
_PENDING_AT_EXIT: List[Callable[[], Any]] = []  # what simulated Talons' user code gave atexit, not run yet


class SettingsReadDuringImport(RuntimeError):
    """Talon 0.4 throws when a setting is read while files are being imported (fact: sure)."""


def _run_pending_at_exit() -> None:
    """The test process exits: run what no simulated Talon's `exit` ran (as the process would)."""
    for fn in reversed(list(_PENDING_AT_EXIT)):
        try:
            fn()
        except Exception:
            pass


class Talon:
    """One simulated Talon process with a user directory.

    facts: Talon's behaviour where the facts are not sure (facts.py). The rest says what this
    user has: the platform, a microphone stream module (`cubeb`, see microphone.py), packages
    Talon's Python lacks (`unavailable`), community's actions, the focused application.
    """

    def __init__(self, user_dir: str, facts: Facts = Facts(), platform: str = "windows", cubeb: Optional[Any] = None,
                 unavailable: Sequence[str] = (), community: bool = False, app_exe: str = "notepad.exe",
                 app_name: str = "Notepad", mode: str = "command", seed: int = 0) -> None:
        self.user_dir = os.path.abspath(user_dir)
        self.facts = facts
        self.platform = platform
        self.cubeb = cubeb
        self.unavailable = set(unavailable)  # refused while importing user files
        self.community = community  # talonhub/community's actions (user.edit_text_file) are installed
        self.app_exe, self.app_name = app_exe, app_name  # the focused application
        self.random = random.Random(seed)
        self.atexit: List[Callable[[], Any]] = []  # what user code registered with atexit
        self.opened: List[str] = []
        self.insert_error: Optional[BaseException] = None  # make actions.insert fail (a fault to inject)
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
        self.imgui_windows: List[ImguiWindow] = []
        self.talon_files: Dict[str, TalonFile] = {}
        self.test_files: Dict[str, TalonFile] = {}  # the user's own files, as set_setting writes them
        self.modes: set = set(mode.split())  # the modes Talon starts in: command, or the user's (sleep, "command sleep")
        self.speech_enabled = True
        self.typed: List[str] = []
        self.document = ""  # the focused text field: inserts land at its end, backspaces remove from it
        self.type_events: List[Tuple[float, str]] = []
        self.keys: List[str] = []
        self.notifications: List[Dict[str, str]] = []
        self.violations: List[str] = []
        self.errors: List[BaseException] = []
        self.log: List[str] = []
        self.ready = False
        self.importing: Optional[str] = None
        self.scheduler = Scheduler(self._error)
        self.voice = Voice(self)
        self.keyboard = Keyboard(self)
        self._modules: Dict[str, types.ModuleType] = {}
        self._saved_modules: Dict[str, Any] = {}
        self._windll: Any = None  # ctypes.windll before this Talon's Windows
        self._talon_pkg = talon_package(self, self._builtin_actions())

    # -- the talon package and loading --------------------------------------------------------

    def install_talon(self) -> None:
        """Put this Talon's `talon` package (and what its Python lacks) in place for user code."""
        for name in ("talon", "talon.lib", "talon.lib.cubeb", "user"):
            if name in sys.modules and name not in self._saved_modules:
                self._saved_modules[name] = sys.modules[name]
        if self.unavailable:  # packages Talon's Python lacks stay unavailable for its whole life
            sys.meta_path.insert(0, Unavailable(self.unavailable))
            for name in [n for n in sys.modules if n.split(".")[0] in self.unavailable]:
                self._saved_modules[name] = sys.modules.pop(name)  # this process never imported them
        sys.modules["talon"] = self._talon_pkg
        sys.modules["talon.lib"] = self._talon_pkg.lib
        if not getattr(_run_pending_at_exit, "registered", False):
            _ATEXIT_REGISTER(_run_pending_at_exit)
            _run_pending_at_exit.registered = True  # type: ignore[attr-defined]
        atexit.register = self._atexit_register  # type: ignore[assignment]  # run at `exit`, not at the process's
        if self.platform == "windows" and self.facts.os_key_state:
            self._windll = install_windll(self.keyboard)
        if self.cubeb is not None:
            sys.modules["talon.lib.cubeb"] = self.cubeb
            self._talon_pkg.lib.cubeb = self.cubeb
        else:
            sys.modules.pop("talon.lib.cubeb", None)

    def start(self) -> "Talon":
        """Launch: import every file of the user directory, then fire `ready` on the main thread."""
        self.install_talon()
        self.scheduler.start()
        self.voice.start()
        user = types.ModuleType("user")
        user.__path__ = [self.user_dir]  # type: ignore[attr-defined]
        sys.modules["user"] = user
        for path in user_files(self.user_dir):
            self.load_file(path)
        if self.community:  # what talonhub/community's core/edit_text_file.py provides
            self.actions_impl["user.edit_text_file"] = lambda path: self.opened.append(path)
            self.action_owner["user.edit_text_file"] = "community"
        self.ready = True
        self.call_on_main(lambda: [fn() for fn in list(self.app_callbacks.get("ready", []))])
        return self

    def load_file(self, path: str, in_place: bool = False) -> None:
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
            self._error(error, f"loading {name}")
            sys.modules.pop(name, None)
        finally:
            self.import_seconds[name] = time.perf_counter() - started
            self.importing = None
        self._modules[path] = module

    def _ensure_packages(self, name: str) -> None:
        parts = name.split(".")
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            if package not in sys.modules:
                module = types.ModuleType(package)
                module.__path__ = [os.path.join(self.user_dir, *parts[1:depth])]  # type: ignore[attr-defined]
                sys.modules[package] = module

    def _atexit_register(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """atexit.register as seen by user code: run when this Talon exits (or the test process does)."""
        handler = lambda: fn(*args, **kwargs)  # noqa: E731
        self.atexit.append(handler)
        _PENDING_AT_EXIT.append(handler)
        return fn

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
        if self.facts.reload_clears_callbacks:
            for callbacks in list(self.speech_callbacks.values()) + list(self.app_callbacks.values()):
                callbacks[:] = [fn for fn in callbacks if getattr(fn, "__module__", "") != name]
        if self.facts.reload_drops_jobs:
            self.scheduler.cancel_owned_by(name)
            for window in self.imgui_windows:
                if window.owner == name:
                    window.showing, window.closed = False, True
        self.load_file(path, in_place=self.facts.reload_in_place)

    def stop(self) -> None:
        """Talon exits: stop its threads and restore sys.modules."""
        self.voice.stop()
        self.scheduler.stop()
        for name in [n for n in sys.modules if n == "user" or n.startswith("user.")]:
            del sys.modules[name]
        for name in ("talon", "talon.lib", "talon.lib.cubeb"):
            sys.modules.pop(name, None)
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, Unavailable)]
        sys.modules.update(self._saved_modules)
        if self.platform == "windows" and self.facts.os_key_state:
            remove_windll(self._windll)
        if getattr(atexit.register, "__self__", None) is self:
            atexit.register = _ATEXIT_REGISTER  # type: ignore[assignment]

    def exit(self) -> None:
        """Talon quits: `exit` callbacks run, then the handlers user code gave atexit."""
        for fn in list(self.app_callbacks.get("exit", [])):
            fn()
        for fn in reversed(self.atexit):
            if fn in _PENDING_AT_EXIT:
                _PENDING_AT_EXIT.remove(fn)
            fn()

    def app_register(self, topic: str, fn: Callable[[], Any]) -> None:
        self.app_callbacks.setdefault(topic, []).append(fn)
        if topic == "ready" and self.ready:
            self.scheduler.schedule(0, fn, None)  # registered after launch: runs now (fact: sure)

    def _error(self, error: BaseException, where: str) -> None:
        """Talon logs an error in user code and goes on."""
        self.errors.append(error)
        self.log.append(f"ERROR in {where}: {error!r}")

    # -- settings and modes --------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        """The value of the most specific active file or context that sets `name` (fact: likely);
        between equally specific ones, `setting_tie` decides (not documented)."""
        if self.importing is not None:
            raise SettingsReadDuringImport(f"setting {name} read while importing {self.importing}")
        candidates: List[Tuple[int, Any]] = []
        for talon_file in list(self.talon_files.values()) + list(self.test_files.values()):
            if name in talon_file.settings and self.file_active(talon_file):
                candidates.append((talon_file.requirements, talon_file.settings[name]))
        for context in self.contexts:
            if name in context.settings and self._context_active(context):
                candidates.append((len(header_lines(context.matches)), context.settings[name]))
        if candidates:
            top = max(level for level, _ in candidates)
            tied = [value for level, value in candidates if level == top]
            value = tied[-1] if self.facts.setting_tie == "last" else tied[0]
        if name not in self.settings_decl:
            if candidates:
                return value
            raise KeyError(f"setting {name} is not declared")
        kind, default, _ = self.settings_decl[name]
        return kind(value) if candidates else default

    def set_setting(self, name: str, value: Any, header: str = "") -> None:
        """The user sets `name` in a .talon file of their own with this header: with none (as
        community's settings.talon), it applies in command mode only (fact: sure)."""
        talon_file = self.test_files.get(header)
        if talon_file is None:
            modes: List[str] = []
            oses: List[str] = []
            apps: Dict[str, List[str]] = {}
            for key, value_ in header_lines(header):
                header_line("<test>", key, value_, modes, oses, apps)
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
            self.call_on_main(lambda: self.load_file(path))
        return path

    def file_active(self, talon_file: TalonFile) -> bool:
        if talon_file.oses and self.platform not in talon_file.oses:
            return False
        if "app.exe" in talon_file.apps and self.app_exe.lower() not in talon_file.apps["app.exe"]:
            return False
        if "app.name" in talon_file.apps and self.app_name.lower() not in talon_file.apps["app.name"]:
            return False
        return self._listens(talon_file.modes or ["command"])

    def active_files(self) -> List[TalonFile]:
        return [talon_file for talon_file in self.talon_files.values() if self.file_active(talon_file)]

    def _context_active(self, context: Context) -> bool:
        lines = header_lines(context.matches)
        modes = [value for key, value in lines if key == "mode"]
        apps = [value.lower() for key, value in lines if key == "app.exe"]
        if apps and self.app_exe.lower() not in apps:
            return False
        return self._listens(modes)

    def _listens(self, modes: List[str]) -> bool:
        """Whether what lists `modes` (none: any) is on now: asleep, only sleep's files listen,
        even with command mode on beside it (likely)."""
        if "sleep" in self.modes and not {"sleep", "all"} & set(modes):
            return False
        return not modes or "all" in modes or any(mode in self.modes for mode in modes)

    def bindings(self, key: str) -> List[List[Tuple[str, List[Any]]]]:
        """The actions of every active file binding `key`."""
        return [f.hotkeys[key] for f in self.active_files() if key in f.hotkeys]

    # -- actions -------------------------------------------------------------------------------

    def main_only(self, what: str) -> None:
        if not on_main_thread():
            import threading

            self.violations.append(f"{what} called on thread {threading.current_thread().name}")

    def action_caller(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.main_only(f"actions.{name}")
            return self.actions_impl[name](*args, **kwargs)

        return call

    def run_actions(self, actions: List[Tuple[str, List[Any]]]) -> List[str]:
        ran = []
        for name, arguments in actions:
            self._talon_pkg.actions.call(name, *arguments)
            ran.append(name)
        return ran

    def _builtin_actions(self) -> Dict[str, Callable[..., Any]]:
        def insert(text: str) -> None:
            if self.insert_error is not None:
                raise self.insert_error
            held = self.keyboard.held()
            if held:
                self.violations.append(f"insert({text!r}) while {'+'.join(sorted(held))} was down (talon#675)")
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

    # -- what the user does and sees -----------------------------------------------------------

    def press(self, key: str, wait: bool = True) -> None:
        self.keyboard.press(key, wait)

    def speak(self, samples: Any = None, words: Optional[str] = None, wait: bool = True,
              word_times: Optional[Sequence[Tuple[float, float]]] = None, rejected: bool = False,
              began: Optional[float] = None) -> Phrase:
        return self.voice.speak(samples, words, wait, word_times, rejected, began)

    def install_packages(self) -> None:
        """The packages Talon's Python lacked are there now (installed while Talon runs)."""
        for name in [n for n in self._saved_modules if n.split(".")[0] in self.unavailable]:
            sys.modules[name] = self._saved_modules.pop(name)
        self.unavailable.clear()  # the finder refusing them shares this set

    def call_on_main(self, fn: Callable[[], Any], timeout: float = 30) -> Any:
        return self.scheduler.call(fn, timeout)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60.0) -> bool:
        return wait_until(condition, timeout)

    def settle(self, quiet: float = 0.3, timeout: float = 60.0) -> None:
        """Wait until no main-thread job is due within `quiet` seconds, none runs, and no phrase waits."""
        self.scheduler.settle(quiet, timeout, idle=lambda: self.voice.idle)

    def overlay_lines(self) -> List[str]:
        """What every showing imgui window draws, rendered on the main thread."""
        return self.call_on_main(lambda: [line for w in self.imgui_windows if w.showing for line in w.render()])

    @property
    def presses(self) -> List[float]:
        return self.keyboard.presses

    @property
    def passed(self) -> List[str]:
        """Key events Talon passed on to the system (no active file bound them)."""
        return self.keyboard.passed

    @property
    def phrases(self) -> List[Phrase]:
        return self.voice.phrases

    @property
    def main_task_seconds(self) -> List[float]:
        return self.scheduler.task_seconds

    @property
    def text(self) -> str:
        return "".join(self.typed)
