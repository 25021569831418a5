"""What the simulated Talon does where ../shared/TALON_FACTS.md is not sure: one switch per fact.

The defaults are what the real Talon does as far as the facts say. A test that needs the fact
to be false sets the switch and says why, so the plugin is shown to survive either way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Dict, Optional, Tuple


@dataclass(frozen=True)
class Facts:
    """How this Talon behaves where the facts are only likely, or unknown."""

    # Phrase callbacks run on "main", Talon's one thread for actions and cron (sure: tracebacks in
    # talonhub/community#1779, talonvoice/beta#105), or on a thread of their own ("background").
    phrase_thread: str = "main"
    # Whether a phrase's dict holds "_ts", the perf-counter time the phrase began (likely).
    phrase_ts: bool = True
    # Whether a phrase Talon rejected (no words matched: a cough, typing) still carries "samples"
    # (unknown: Talon's own record.py reads it with .get).
    samples_on_rejected: bool = False
    # False models a Talon that gives phrases no audio at all.
    phrases_have_samples: bool = True
    # Whether Talon drops a reloaded file's speech and app callbacks (unknown).
    reload_clears_callbacks: bool = False
    # Whether a reloaded file runs again in the module object its siblings imported (unknown).
    reload_in_place: bool = False
    # Whether an utterance ending in a command runs as `<phrase>` then that command (likely).
    chain_commands: bool = True
    # Whether Talon refills a phrase's sample buffer once its callbacks return (unknown).
    reuse_sample_buffer: bool = True
    # A reloaded file's cron jobs and imgui windows go with it (not in TALON_FACTS: the issue's
    # report of Talon, so the plugin must survive it). Whose a cron job is: the file whose code
    # asked for it ("caller") or the file that defined its callback ("callback"); both tested.
    reload_drops_jobs: bool = True
    job_owner: str = "caller"
    # Which of two equally specific active files wins a setting: "last" loaded or "first" (unknown).
    setting_tie: str = "last"
    # How long the hotkey's keys stay down (None: 0.1 to 1.5 s, drawn per press).
    modifier_hold_seconds: Optional[float] = None
    # The most the last key comes up after the first: users let go in any order (likely), and a
    # modifier held past the type delay is common.
    modifier_lag_seconds: float = 0.6
    # The order the keys come up in, e.g. ("super", "v", "shift"); None: any order, drawn per press.
    # Talon reports a chord's `:up` only when its key comes up while its modifiers are still down.
    release_order: Optional[Tuple[str, ...]] = None
    # Whether the plugin can ask the system which keys are down (Windows: GetAsyncKeyState).
    os_key_state: bool = True
    # Talon fires key(chord) again while the chord is held, as the system repeats the key
    # (talonvoice/talon#305): after this many seconds, then every KEY_REPEAT_EVERY. None: never.
    key_repeat_delay: Optional[float] = 0.5


TALON_RATE = 16_000  # phrase audio: float samples, 16 kHz, mono (TALON_FACTS)

FACT_NAMES = frozenset(field.name for field in fields(Facts))


def split_switches(switches: Dict[str, Any]) -> Tuple[Facts, Dict[str, Any]]:
    """Keyword switches as (Facts, the rest for Talon itself)."""
    facts = {name: value for name, value in switches.items() if name in FACT_NAMES}
    rest = {name: value for name, value in switches.items() if name not in FACT_NAMES}
    return Facts(**facts), rest
