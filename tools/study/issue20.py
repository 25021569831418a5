"""Issue 20: only speech becomes text. What the gates before the rule let through, what the rule
(engine/verdict.py, replayed on the stored numbers) refuses, its margins, and whether its
thresholds hold on phrases they were not chosen on.

    python -m tools.study.issue20 [FILE ...]

A later FILE replaces rows of an earlier one (non-speech dictated in English, say). README.md
says what each table means. Talon imports this file too: the work happens under __main__.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import Counter, defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import phrases

Flat = Dict[str, Any]
SIGNALS = ("repeat_run", "p_dict", "nsp", "avg_logprob", "vad_pmax", "vad_share", "level_spread_db", "flatness",
           "zcr", "speech_band_share", "periodicity", "voiced_share", "pitch_held_share", "modulation_2_8")


def lg(x: float) -> float:
    return math.log10(max(x, 1e-6))


def flatten(rows: Dict[str, phrases.Row]) -> List[Flat]:
    """One record per phrase and view (a recording Talon would not cut is in both views)."""
    out = []
    half = phrases.halves({r["name"] for r in rows.values()})
    for view, recordings in phrases.views(rows).items():
        for name, pieces in recordings.items():
            for row in pieces:
                today, language = row["today"], row["dictation"]
                window = phrases.kept_window(row)
                probabilities = window["language"]["probabilities"]
                reason = phrases.today_reason(row)  # the product's verdict, replayed
                gated = phrases.vad_refused(row)
                typed = "" if gated or reason in phrases.GATES_BEFORE_RULE else today["heard"]
                f = {"id": row["id"], "name": name, "view": view, "half": half[name], "language": row["language"],
                     "dictation": language, "reference": row["reference"], "typed": typed, "heard": today["heard"],
                     "reason": reason, "collected_reason": today["dropped"], "gated": gated,
                     "other_checks": None if gated else phrases.today_reason(row, speech_threshold=0.0),
                     "nsp": today["no_speech_prob"], "avg_logprob": today["avg_logprob"],
                     "p_dict": probabilities.get(language, 0.0), "p_top": max(probabilities.values()),
                     "lang_top": max(probabilities, key=probabilities.__getitem__),
                     "repeat_run": phrases.repeat_run(typed), "detect_ms": window["language"]["wall"] * 1000,
                     **row["signals"]}
                f["live"] = bool(typed) and f["other_checks"] is None  # left for the language box to judge
                if row["language"] is None:
                    f["label"] = "nonspeech"
                elif row["view"] == "whole":
                    f["label"] = "keep"
                else:
                    ref = Counter(phrases.words(row["reference"], language))
                    said = phrases.words(typed, language)
                    f["label"] = "keep" if said and sum(ref[w] > 0 for w in said) / len(said) >= 0.5 else "free"
                out.append(f)
    return out


def refuse(f: Flat, Tp: float, Tn: float) -> Optional[str]:
    """Why the rule refuses a phrase typed before it: verdict.py's other checks (a loop, sure of no
    speech), then the box: no-speech >= Tn and the dictation language's probability < Tp."""
    if not f["typed"]:
        return None
    if f["other_checks"]:
        return f["other_checks"]
    if f["nsp"] >= Tn and f["p_dict"] < Tp:
        return f"not {f['dictation']} ({f['dictation']} {f['p_dict']:.3f}, {f['lang_top']} {f['p_top']:.2f})"
    return None


def need(flats: List[Flat]) -> int:
    """28 of 30 on the corpus; on a half, the same share of failures (1 of 15)."""
    total = len({f["name"] for f in flats if f["label"] == "nonspeech"})
    return total - max(1, round(total / 15))


def outcome(flats: List[Flat], Tp: float, Tn: float) -> Dict[str, Dict[str, Any]]:
    res = {}
    for view in ("whole", "cut"):
        fs = [f for f in flats if f["view"] == view]
        ns = {f["name"] for f in fs if f["label"] == "nonspeech"}
        typing = sorted({f["name"] for f in fs if f["label"] == "nonspeech" and f["typed"] and not refuse(f, Tp, Tn)})
        res[view] = {"total": len(ns), "silent": len(ns) - len(typing), "typing": typing,
                     **{f"{label}_refused": [(f["id"], refuse(f, Tp, Tn)) for f in fs
                                             if f["label"] == label and refuse(f, Tp, Tn)]
                        for label in ("keep", "free", "nonspeech")}}
    return res


def meets(res: Dict[str, Dict[str, Any]], flats: List[Flat]) -> bool:
    return all(res[v]["silent"] >= need(flats) and not res[v]["keep_refused"] for v in res)


def margins(flats: List[Flat], Tp: float, Tn: float) -> Tuple[Tuple[float, str], Tuple[float, str]]:
    """The box's smallest margins in decades: (speech kept outside, its id), (non-speech inside, its id)."""
    keep, inside = [(9.0, "")], [(9.0, "")]
    for f in flats:
        if not f["live"]:
            continue
        dp, dn = lg(f["p_dict"]) - lg(Tp), lg(Tn) - lg(f["nsp"])
        if f["label"] == "keep":
            keep.append((round(max(dp, dn), 3), f["id"]))
        elif f["label"] == "nonspeech" and dp < 0 and dn <= 0:
            inside.append((round(min(-dp, -dn), 3), f["id"]))
    return min(keep), min(inside)


def derive(flats: List[Flat]) -> Optional[Tuple[float, float, float]]:
    """The box with the largest smallest margin among those meeting the corpus rule, on a grid of
    0.01 decade: (Tp, Tn, margin in decades)."""
    import numpy as np

    live = [f for f in flats if f["live"]]
    lp, ln = np.array([lg(f["p_dict"]) for f in live]), np.array([lg(f["nsp"]) for f in live])
    keep = np.array([f["label"] == "keep" for f in live])
    groups: Dict[Tuple[str, str], List[int]] = defaultdict(list)
    for i, f in enumerate(live):
        if f["label"] == "nonspeech":
            groups[(f["view"], f["name"])].append(i)
    totals = Counter(v for v, _ in {(f["view"], f["name"]) for f in flats if f["label"] == "nonspeech"})
    wanted = need(flats)
    best: Optional[Tuple[float, float, float]] = None
    for ip in range(-250, -20):
        for jn in range(-200, -10):
            box = (lp < ip / 100) & (ln >= jn / 100)
            if (box & keep).any():
                continue
            typing = Counter(v for (v, _), idx in groups.items() if not box[idx].all())
            if any(totals[v] - typing[v] < wanted for v in totals):
                continue
            Tp, Tn = 10 ** (ip / 100), 10 ** (jn / 100)
            score = min(m for m, _ in margins(flats, Tp, Tn))
            if best is None or score > best[2] + 1e-9:
                best = (Tp, Tn, score)
    return best


def silent(res: Dict[str, Dict[str, Any]]) -> str:
    return " / ".join(f"{res[v]['silent']}/{res[v]['total']}" for v in ("whole", "cut"))


def short(name: str) -> str:
    return name.replace("nonspeech_", "").rsplit(".", 1)[0]


def before_table(ns: List[Flat], speech: List[Flat]) -> None:
    """What the gates before the rule let through, and whom they refused."""
    def typing(v: str) -> List[str]:
        return sorted({short(f["name"]) for f in ns if f["view"] == v and f["typed"]})

    def why(f: Flat) -> str:
        return "speech gate" if f["gated"] else f["reason"]

    total = {v: len({f["name"] for f in ns if f["view"] == v}) for v in ("whole", "cut")}
    print("## 1. Before the rule\n\n| | whole | cut |\n|---|---|---|")
    phrases.row("non-speech recordings typing nothing", lambda v: f"{total[v] - len(typing(v))}/{total[v]}")
    phrases.row("typing text", lambda v: ", ".join(typing(v)))
    phrases.row("speech refused", lambda v: "; ".join(
        f"{f['id']} ({f['label']}): {why(f)}" for f in speech if f["view"] == v and not f["typed"]))
    phrases.row("non-speech refused, by reason", lambda v: ", ".join(
        f"{r} {n}" for r, n in Counter(why(f) for f in ns if f["view"] == v and not f["typed"]).items()))
    phrases.row("speech outputs repeating a word or group (run >= 2)",
                lambda v: sum(f["repeat_run"] >= 2 for f in speech if f["view"] == v))


def signals_table(kept: List[Flat], loud: List[Flat]) -> None:
    print(f"\n## 2. Each signal alone: {len(loud)} non-speech phrases typed before the rule, {len(kept)} speech "
          "phrases kept\n\n| signal | speech min / median / max | non-speech min / median / max "
          "| non-speech beyond all speech (below / above) |\n|---|---|---|---|")
    for s in SIGNALS:
        a, b = [f[s] for f in kept if f[s] is not None], [f[s] for f in loud if f[s] is not None]
        if a and b:
            print(f"| {s} | " + " | ".join(f"{min(x):.3g} / {statistics.median(x):.3g} / {max(x):.3g}" for x in (a, b))
                  + f" | {sum(x < min(a) for x in b)} / {sum(x > max(a) for x in b)} |")


def wer_cell(speech: List[Flat], language: str, view: str, Tp: float, Tn: float) -> str:
    """WER before the rule -> with it."""
    names = sorted({f["name"] for f in speech if f["language"] == language})
    pieces = [[f for f in speech if f["name"] == name and f["view"] == view] for name in names]
    def score(keep: Callable[[Flat], bool]) -> str:
        pairs = [(p[0]["reference"], " ".join(f["typed"] for f in p if keep(f))) for p in pieces]
        return f"{phrases.wer(pairs, language):.3f}"

    return score(lambda f: bool(f["typed"])) + " -> " + score(lambda f: bool(f["typed"]) and not refuse(f, Tp, Tn))


def rule_tables(flats: List[Flat], ns: List[Flat], speech: List[Flat], Tp: float, Tn: float, repeats: int) -> None:
    """The rule per view, what it refuses, its margins, and the largest-margin box."""
    rule = outcome(flats, Tp, Tn)
    print(f"\n## 3. The rule (Tp {Tp}, Tn {Tn})\n\n| | whole | cut |\n|---|---|---|")
    phrases.row("non-speech recordings typing nothing", lambda v: f"{rule[v]['silent']}/{rule[v]['total']}")
    phrases.row("still typed", lambda v: ", ".join(short(n) for n in rule[v]["typing"]))
    for label in ("keep", "free"):
        phrases.row(f"speech {label} refused", lambda v: len(rule[v][f"{label}_refused"]))
    for language in ("fr", "en"):
        phrases.row(f"WER {language} before -> with the rule", lambda v: wer_cell(speech, language, v, Tp, Tn))
    print("\nRefused by the rule:\n" + "\n".join(f"- {f['id']} ({f['label']}) {f['typed'][:40]!r}: {f['reason']}"
                                                for f in ns + speech if f["typed"] and refuse(f, Tp, Tn)))
    print("\n| signal | closest speech kept | closest non-speech refused |\n|---|---|---|")
    print(f"| repeat run | {max(f['repeat_run'] for f in speech if f['typed'])} | "
          f"{min((f['repeat_run'] for f in ns if f['repeat_run'] >= repeats), default='-')} |")
    kept = [f for f in speech if f["live"] and f["label"] == "keep"]
    inside = [f for f in ns if f["live"] and f["nsp"] >= Tn and f["p_dict"] < Tp]
    for s, T, held_by in (("p_dict", Tp, lambda f: f["nsp"] >= Tn), ("nsp", Tn, lambda f: f["p_dict"] < Tp)):
        near = min((f for f in kept if held_by(f)), key=lambda f: abs(lg(f[s]) - lg(T)), default=None)
        far = min(inside, key=lambda f: abs(lg(f[s]) - lg(T)), default=None)
        phrases.row(f"{s} vs {T}", lambda f: f"{f['id']}: {f[s]:.3g} (x{max(f[s] / T, T / f[s]):.2f})" if f else "-",
                    (near, far))
    best = derive(flats)
    if best:
        (km, kid), (nm, nid) = margins(flats, best[0], best[1])
        print(f"\nLargest-margin box: Tp {best[0]:.4f}, Tn {best[1]:.4f}, margin {best[2]:.3f} decades "
              f"(x{10 ** best[2]:.2f}); closest speech {kid} ({km}), closest non-speech {nid} ({nm}). "
              f"The defaults: {margins(flats, Tp, Tn)}.")


def kinds_table(ns: List[Flat], Tp: float, Tn: float) -> None:
    def what(f: Flat) -> str:
        if not f["typed"]:
            return "gate" if f["gated"] else f"{f['reason']} ({f['heard'][:20]!r})"
        why = refuse(f, Tp, Tn)
        return f"{f['typed'][:28]!r} -> " + (f"refused ({why.split(' (')[0]})" if why else "**still typed**")

    def cell(name: str, view: str) -> str:
        parts = Counter(what(f) for f in ns if f["name"] == name and f["view"] == view)
        return "; ".join(p + (f" x{n}" if n > 1 else "") for p, n in parts.items()) + (
            f" ({sum(parts.values())})" if view == "cut" else "")

    print("\n## 4. Per non-speech recording, before -> with the rule\n\n| recording | whole | cut (pieces) |"
          "\n|---|---|---|")
    for name in sorted({f["name"] for f in ns}):
        phrases.row(short(name), lambda v: cell(name, v))


def heldout_tables(flats: List[Flat], speech: List[Flat], Tp0: float, Tn: float) -> None:
    print("\n## 5. Held out: the box derived on one half, applied to the other\n\n| derived on | Tp, Tn (margin) "
          "| train: typing nothing whole / cut | test: typing nothing whole / cut | test: speech kept refused |"
          "\n|---|---|---|---|---|")
    for h in "AB":
        train, test = [f for f in flats if f["half"] == h], [f for f in flats if f["half"] != h]
        b = derive(train)
        if b is None:
            print(f"| {h} | none meets the rule | | | |")
            continue
        refused = [i for res in outcome(test, b[0], b[1]).values() for i, _ in res["keep_refused"]]
        print(f"| {h} | {b[0]:.3f}, {b[1]:.3f} ({b[2]:.3f}) | {silent(outcome(train, b[0], b[1]))} | "
              f"{silent(outcome(test, b[0], b[1]))} | {refused} |")
    for h in "AB":
        part = [f for f in flats if f["half"] == h]
        res = outcome(part, Tp0, Tn)
        print(f"\nThe defaults on half {h}: typing nothing {silent(res)}, speech kept refused "
              f"{sum(len(res[v]['keep_refused']) for v in res)}; meets the rule: {meets(res, part)}")
    print(f"\n## 6. Strictness: speech_threshold (Tp), no-speech {Tn}\n\n| Tp | non-speech typing nothing whole / cut "
          "| speech kept refused | free pieces refused |\n|---|---|---|---|")
    for Tp in (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.2, 0.3, 0.5):
        res = outcome(flats, Tp, Tn)
        print(f"| {Tp} | {silent(res)} | {[i for v in res for i, _ in res[v]['keep_refused']]} | "
              f"{sum(len(res[v]['free_refused']) for v in res)} |")
    detect = sorted(f["detect_ms"] for f in flats)
    asked = [f for f in speech if f["typed"] and f["nsp"] >= Tn]
    print(f"\nCost: detect_language on today's encoder output, median {statistics.median(detect):.1f} ms (p90 "
          f"{detect[int(0.9 * len(detect))]:.1f} ms); asked on {len(asked)} of {sum(bool(f['typed']) for f in speech)} "
          f"typed speech phrase views (no-speech >= {Tn}).")


def main(argv: List[str]) -> int:
    from superwhisper2.engine import verdict
    from superwhisper2.engine.options import DecodeOptions

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="collect.py's output (default: its default)")
    rows = phrases.load(parser.parse_args(argv).files or [phrases.default_data()])
    flats = flatten(rows)
    Tp, Tn = DecodeOptions().speech_threshold, verdict.SUSPECT_NO_SPEECH
    off = [f["id"] for f in flats if f["reason"] != f["collected_reason"]]
    print(f"# Issue 20: {len(rows)} phrases; the rule's defaults: speech_threshold {Tp}, no-speech {Tn}\n\n"
          f"verdict.judge replayed gives the collected reason on {len(flats) - len(off)}/{len(flats)} phrase views"
          + (f"; not on {off}" if off else "") + "\n")
    ns = [f for f in flats if f["label"] == "nonspeech"]
    speech = [f for f in flats if f["label"] != "nonspeech"]
    before_table(ns, speech)
    signals_table([f for f in speech if f["label"] == "keep" and f["typed"]], [f for f in ns if f["typed"]])
    rule_tables(flats, ns, speech, Tp, Tn, verdict.REPEATS)
    kinds_table(ns, Tp, Tn)
    heldout_tables(flats, speech, Tp, Tn)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
