"""The pieces of the fake `talon` package one simulated Talon hands to user code.

Each piece forwards to the `Talon` process it belongs to (process.py); nothing here keeps
state of its own beyond what Talon's own objects would.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

if TYPE_CHECKING:  # the process imports these pieces, never the other way at run time
    from .process import Talon


def parse_time(spec: str) -> float:
    """"250ms", "2s", "1m" -> seconds, as talon.cron reads them."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*", spec)
    if not match:
        raise ValueError(f"cron: bad time spec {spec!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value * 60 if unit == "m" else value


class Cron:
    """talon.cron: callbacks run on the main thread (fact: sure)."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def after(self, spec: str, fn: Callable[[], Any]) -> Any:
        return self._talon.scheduler.schedule(parse_time(spec), fn, None, owner=self._owner(fn))

    def interval(self, spec: str, fn: Callable[[], Any]) -> Any:
        period = parse_time(spec)
        return self._talon.scheduler.schedule(period, fn, period, owner=self._owner(fn))

    def cancel(self, job: Optional[Any]) -> None:
        if job is not None:
            job.cancelled = True


    def _owner(self, fn: Callable[[], Any]) -> str:
        """The user module a job belongs to, as far as reloads go (Facts.job_owner)."""
        if self._talon.facts.job_owner == "callback":
            return str(getattr(getattr(fn, "__func__", fn), "__module__", "?"))
        import sys

        return str(sys._getframe(2).f_globals.get("__name__", "?"))  # the code that called cron


class ActionNamespace:
    """`actions.user.x`: the user's actions, called on the main thread."""

    def __init__(self, talon: "Talon", prefix: str) -> None:
        self._talon, self._prefix = talon, prefix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        full = f"{self._prefix}.{name}" if self._prefix else name
        if full in self._talon.actions_impl:
            return self._talon.action_caller(full)
        if any(key.startswith(full + ".") for key in self._talon.actions_impl):
            return ActionNamespace(self._talon, full)
        raise AttributeError(f"no Talon action named {full}")


class Actions:
    """talon.actions: `actions.insert(...)`, `actions.user.whisper_stop()`, `actions.mode.enable(...)`."""

    def __init__(self, talon: "Talon", builtins: Dict[str, Callable[..., Any]]) -> None:
        self._talon = talon
        self._builtins = builtins

    def call(self, name: str, *args: Any) -> Any:
        if name in self._builtins:
            self._talon.main_only(f"actions.{name}")
            return self._builtins[name](*args)
        return self._talon.action_caller(name)(*args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._builtins:
            return lambda *args: self.call(name, *args)
        if any(key.startswith(name + ".") for key in self._builtins):
            return _BuiltinNamespace(self, name)
        return ActionNamespace(self._talon, name)


class _BuiltinNamespace:
    def __init__(self, actions: Actions, prefix: str) -> None:
        self._actions, self._prefix = actions, prefix

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args: self._actions.call(f"{self._prefix}.{name}", *args)


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
        self._talon.app_register(topic, fn)

    def unregister(self, topic: str, fn: Callable[[], Any]) -> None:
        self._talon.app_callbacks.get(topic, []).remove(fn)

    def notify(self, title: str = "", subtitle: str = "", body: str = "", sound: bool = False) -> None:
        self._talon.main_only("app.notify")
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


class ImguiWindow:
    """One `@imgui.open` window; it belongs to the file that made it."""

    def __init__(self, talon: "Talon", draw: Callable[[ImguiGUI], Any], owner: str) -> None:
        self._talon, self._draw, self.owner, self.showing = talon, draw, owner, False
        self.closed = False  # its file was reloaded: Talon dropped it
        talon.imgui_windows.append(self)

    def show(self) -> None:
        self._talon.main_only("imgui.show")
        self.showing = not self.closed

    def hide(self) -> None:
        self._talon.main_only("imgui.hide")
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

    def open(self, **kwargs: Any) -> Callable[[Callable[[ImguiGUI], Any]], ImguiWindow]:
        return lambda draw: ImguiWindow(self._talon, draw, self._talon.importing or draw.__module__)


class Scope:
    """talon.scope: `scope.get("mode")` is the set of active modes (public scripts rely on it)."""

    def __init__(self, talon: "Talon") -> None:
        self._talon = talon

    def get(self, key: str, default: Any = None) -> Any:
        return set(self._talon.modes) if key == "mode" else default


class ParsedPhrase:
    """The "parsed" object of a phrase: `_sequence` is the commands Talon will run."""

    def __init__(self, sequence: List[Any]) -> None:
        self._sequence = sequence


@dataclass
class Word:
    """One recognised word, with its times (perf-counter seconds), as phrase["phrase"] holds them."""

    text: str
    start: float
    end: float

    def __str__(self) -> str:
        return self.text


def talon_package(talon: "Talon", builtins: Dict[str, Callable[..., Any]]) -> types.ModuleType:
    """The `talon` module user code imports, bound to one simulated Talon."""
    package = types.ModuleType("talon")
    package.__path__ = []  # type: ignore[attr-defined]
    package.cron = Cron(talon)  # type: ignore[attr-defined]
    package.actions = Actions(talon, builtins)  # type: ignore[attr-defined]
    package.settings = Settings(talon)  # type: ignore[attr-defined]
    package.app = App(talon)  # type: ignore[attr-defined]
    package.speech_system = SpeechSystem(talon)  # type: ignore[attr-defined]
    package.imgui = Imgui(talon)  # type: ignore[attr-defined]
    package.scope = Scope(talon)  # type: ignore[attr-defined]
    package.Module = lambda: Module(talon, talon.importing or "?")  # type: ignore[attr-defined]
    package.Context = lambda: Context(talon, talon.importing or "?")  # type: ignore[attr-defined]
    lib = types.ModuleType("talon.lib")
    lib.__path__ = []  # type: ignore[attr-defined]
    package.lib = lib  # type: ignore[attr-defined]
    return package
