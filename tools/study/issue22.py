"""Issue 22: does a cheaper decoding policy keep today's accuracy at 0.7x its time or less?

    python -m tools.study.issue22 [FILE ...] [--metric cpu|wall] [--top N]

Prints issue 22's tables from collect.py's speech phrases (README.md says what each one means).
A policy's time per phrase adds the parts it would run, each measured once: the speech gate, the
encoder per window, each decoder pass, and after a short window fails, today's path (encoder at
30 s, beam 5, today's fallback passes). Talon imports this file too: the work is under __main__.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from dataclasses import fields, replace
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import phrases

INF = float("inf")
GREEDY_SIGNALS = ("avg_logprob", "min_top1_tok", "mean_top1_tok", "min_margin_tok", "mean_margin_tok",
                  "min_top1_all", "min_margin_all", "eot_top1")
TOLERANCE, TIME_RATIO = 0.005, 0.7
Phrase = Dict[str, Any]


class Policy(NamedTuple):
    """today | fixed | plugin (min_window=floor) | greedy, beam, agree (then today) | cascade."""

    kind: str
    floor: int = 30
    signal: str = ""
    beam: str = "beam5"
    T: float = -INF
    T2: float = -INF  # cascade: beam-5's avg_logprob threshold

    def label(self) -> str:
        if self.kind == "cascade":
            return f"cascade W({self.floor}) greedy {self.signal} >= {self.T:.4f}, beam5 lp >= {self.T2:.4f}"
        if self.kind == "fixed":
            return f"{self.beam} W({self.floor}), T=0, no fallback"
        if self.kind == "plugin":
            return f"plugin min_window={self.floor} (beam5, full-window retry)"
        return f"{self.kind}->today W({self.floor}) {self.signal} >= {self.T:.4f}"


def token_signals(sure: Dict[str, Any], text_tokens: int) -> Dict[str, float]:
    """Greedy's per-step confidence over its text tokens ("tok") and over every step, end of text included ("all")."""
    out = {}
    for name, end in (("tok", min(text_tokens, len(sure["top1"]))), ("all", len(sure["top1"]))):
        top1, margin = sure["top1"][:end], sure["margin"][:end]
        out[f"min_top1_{name}"] = min(top1, default=1.0)
        out[f"mean_top1_{name}"] = sum(top1) / len(top1) if top1 else 1.0
        out[f"min_margin_{name}"] = min(margin, default=1.0)
        out[f"mean_margin_{name}"] = sum(margin) / len(margin) if margin else 1.0
    out["eot_top1"] = sure["top1"][-1] if sure["top1"] else 1.0
    return out


def prepare(row: phrases.Row) -> Phrase:
    """What the policies need of one phrase: texts after the verdict, looks_broken, costs."""
    from superwhisper2.engine import decoding, guard
    from superwhisper2.engine.options import DecodeOptions, window_seconds

    today, language = row["today"], row["language"]
    options = DecodeOptions(language=language)
    span = guard.SpeechSpan(0, 0, today["speech_seconds"])
    fallbacks = today["work"].get("fallbacks", 0)
    # the passes after the first, in wall-clock time (the engine times its decoder stage, not each pass)
    decoder = sum(t for stage, t in today["timings"].items() if stage.startswith("decoder"))
    extra = dict.fromkeys(("wall", "cpu"), max(0.0, decoder - row["windows"]["30"]["beam5"]["wall"]) * bool(fallbacks))
    p: Phrase = {"id": row["id"], "lang": language, "seconds": row["seconds"], "gated": phrases.vad_refused(row),
                 "today_text": today["text"], "vad": today["timings"].get("vad", 0.0), "fallback": extra,
                 "fallbacks": fallbacks, "temperature": today["temperature"], "win": {},
                 "window": {f: int(window_seconds(row["seconds"], replace(options, min_window=f)))
                            for f in phrases.FLOORS}}
    for window, entry in row["windows"].items():
        q: Dict[str, Any] = {"enc": {"wall": entry["encode"]["features"] + entry["encode"]["encoder"],
                                     "cpu": entry["encode"]["cpu"]}}
        for beam in ("greedy", "beam5"):
            d = entry[beam]
            reason = phrases.judge(d["text"], language=language, probabilities=entry["language"]["probabilities"],
                                   avg_logprob=d["avg_logprob"], no_speech_prob=d["no_speech_prob"], temperature=0.0,
                                   speech_seconds=today["speech_seconds"])
            decoded = decoding.Decoded(**{f.name: d[f.name] for f in fields(decoding.Decoded)})
            q[beam] = {"text": "" if reason else d["text"], "raw": d["text"], "avg_logprob": d["avg_logprob"],
                       "broken": decoding.looks_broken(decoded, options, span), "wall": d["wall"], "cpu": d["cpu"]}
        q["sure"] = token_signals(entry["confidence"], len(entry["greedy"]["tokens"]))
        q["sure_cost"] = {m: entry["confidence"][m] for m in ("wall", "cpu")}
        q["same_tokens"] = entry["confidence"]["same_tokens"]
        p["win"][int(window)] = q
    full = p["win"][30]
    p["today_cost"] = {m: p["vad"] if p["gated"] else p["vad"] + full["enc"][m] + full["beam5"][m] + extra[m]
                       for m in ("wall", "cpu")}
    return p


def signal(p: Phrase, window: int, beam: str, name: str) -> float:
    q = p["win"][window]
    return q[beam]["avg_logprob"] if name == "avg_logprob" else q["sure"][name]


def run(p: Phrase, pol: Policy, metric: str) -> Tuple[str, float, bool]:
    """(text typed, cost, whether today's full path ran) of one phrase under `pol`."""
    if pol.kind == "today":
        return p["today_text"], p["today_cost"][metric], True
    if p["gated"]:
        return "", p["vad"], False
    window = p["window"][pol.floor]
    q, full = p["win"][window], p["win"][30]
    cost = p["vad"] + q["enc"][metric]
    expensive = (0.0 if window == 30 else full["enc"][metric]) + full["beam5"][metric] + p["fallback"][metric]
    if pol.kind == "fixed":
        return q[pol.beam]["text"], cost + q[pol.beam][metric], False
    if pol.kind == "plugin":  # window.hear_alone with min_window=floor
        cost += q["beam5"][metric]
        if window < 30 and q["beam5"]["broken"]:
            return p["today_text"], cost + expensive, True
        if window == 30:
            return p["today_text"], p["today_cost"][metric], True
        return q["beam5"]["text"], cost, False
    greedy_cost = q["sure_cost"][metric] if pol.signal != "avg_logprob" else q["greedy"][metric]
    if pol.kind in ("greedy", "cascade"):
        cost += greedy_cost
        if not q["greedy"]["broken"] and signal(p, window, "greedy", pol.signal) >= pol.T:
            return q["greedy"]["text"], cost, False
        if pol.kind == "cascade":
            cost += q["beam5"][metric]
            if not q["beam5"]["broken"] and q["beam5"]["avg_logprob"] >= pol.T2:
                return q["beam5"]["text"], cost, False
    elif pol.kind == "agree":  # greedy and beam 5 write the same words, and greedy is sure
        cost += greedy_cost + q["beam5"][metric]
        if (not q["beam5"]["broken"] and not q["greedy"]["broken"]
                and phrases.same(q["greedy"]["text"], q["beam5"]["text"], p["lang"])
                and signal(p, window, "greedy", pol.signal) >= pol.T):
            return q["beam5"]["text"], cost, False
    elif pol.kind == "beam":
        cost += q["beam5"][metric]
        if not q["beam5"]["broken"] and q["beam5"]["avg_logprob"] >= pol.T:
            return q["beam5"]["text"], cost, False
    return p["today_text"], cost + expensive, True


def evaluate(data: "Data", names: Sequence[str], policy: Union[Policy, Dict[str, Policy]], metric: str = "cpu") -> Dict:
    """Per view over `names`: WER per language (policy, today, delta), median cost ratio, counts.
    `policy` may differ per recording (a dict by name)."""
    out = {}
    for view in ("whole", "cut"):
        pairs: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
        base: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
        costs, today_costs, expensive, agree = [], [], 0, 0
        for name in names:
            pieces = [data.prepared[r["id"]] for r in data.views[view][name]]
            texts = []
            for p in pieces:
                text, cost, exp = run(p, policy[name] if isinstance(policy, dict) else policy, metric)
                texts.append(text)
                costs.append(cost)
                today_costs.append(p["today_cost"][metric])
                expensive += exp
                agree += phrases.same(text, p["today_text"], p["lang"])
            language, reference = pieces[0]["lang"], data.views[view][name][0]["reference"]
            pairs[language].append((reference, " ".join(t for t in texts if t)))
            base[language].append((reference, " ".join(p["today_text"] for p in pieces if p["today_text"])))
        res = {"phrases": len(costs), "expensive": expensive, "agree": agree, "median": statistics.median(costs),
               "median_today": statistics.median(today_costs)}
        res["ratio"] = res["median"] / res["median_today"]
        for language in ("fr", "en"):
            res[f"wer_{language}"] = phrases.wer(pairs[language], language)
            res[f"wer_today_{language}"] = phrases.wer(base[language], language)
            res[f"dwer_{language}"] = res[f"wer_{language}"] - res[f"wer_today_{language}"]
        out[view] = res
    return out


def meets(ev: Dict) -> Tuple[bool, bool]:
    """(the WER rule, the time rule), both views."""
    return (all(ev[v][f"dwer_{l}"] <= TOLERANCE + 1e-12 for v in ev for l in ("fr", "en")),
            all(ev[v]["ratio"] <= TIME_RATIO for v in ev))


def worst_ratio(ev: Dict) -> float:
    return max(ev[v]["ratio"] for v in ev)


class Data:
    """The speech phrases, prepared once, and the recordings in both views."""

    def __init__(self, rows: Dict[str, phrases.Row]) -> None:
        speech = {k: r for k, r in rows.items() if r["language"]}
        self.views = phrases.views(speech)
        self.prepared = {k: prepare(r) for k, r in speech.items()}
        self.names = sorted({r["name"] for r in speech.values()})
        half = phrases.halves(self.names)
        self.half = {h: [n for n in self.names if half[n] == h] for h in "AB"}

    def ids(self, names: Sequence[str]) -> List[str]:
        return [r["id"] for v in ("whole", "cut") for n in names for r in self.views[v][n]]

    def values(self, names: Sequence[str], floor: int, name: str, beam: str) -> List[float]:
        return sorted({round(signal(self.prepared[i], self.prepared[i]["window"][floor], beam, name), 6)
                       for i in self.ids(names) if not self.prepared[i]["gated"]})


def families() -> List[Policy]:
    out = []
    for floor in phrases.FLOORS:
        out += [Policy("greedy", floor, s) for s in GREEDY_SIGNALS] + [Policy("beam", floor, "avg_logprob")]
        if floor < 30:
            out += [Policy("agree", floor, s) for s in ("avg_logprob", "min_top1_tok", "min_margin_tok")]
    return out


Choice = Tuple[float, Policy, Dict]


def choose(data: Data, names: Sequence[str], family: Policy, metric: str) -> Optional[Choice]:
    """The threshold meeting the WER rule on `names` at the lowest worse-view cost (just above
    each value seen); ties within 0.01 go to the higher threshold."""
    beam = "beam5" if family.kind == "beam" else "greedy"
    best: Optional[Choice] = None
    for T in [-INF] + [v + 1e-7 for v in data.values(names, family.floor, family.signal, beam)]:
        pol = family._replace(T=T)
        ev = evaluate(data, names, pol, metric)
        if not meets(ev)[0]:
            continue
        key = worst_ratio(ev)
        if best is None or key < best[0] - 0.01 or (abs(key - best[0]) <= 0.01 and T > best[1].T):
            best = (key, pol, ev)
    return best


def choose_cascade(data: Data, names: Sequence[str], floor: int, name: str, metric: str) -> Optional[Choice]:
    """Greedy's threshold on 16 quantiles of its signal, beam-5's on 12 of its log-prob."""
    def quantiles(values: List[float], k: int) -> List[float]:
        return values if len(values) <= k else [values[int(j * (len(values) - 1) / (k - 1))] for j in range(k)]

    best: Optional[Choice] = None
    for T in [v + 1e-7 for v in quantiles(data.values(names, floor, name, "greedy"), 16)] + [INF]:
        for T2 in [-INF] + [v + 1e-7 for v in quantiles(data.values(names, floor, "avg_logprob", "beam5"), 12)] + [INF]:
            pol = Policy("cascade", floor, name, T=T, T2=T2)
            ev = evaluate(data, names, pol, metric)
            if meets(ev)[0] and (best is None or worst_ratio(ev) < best[0] - 0.01):
                best = (worst_ratio(ev), pol, ev)
    return best


def search(data: Data, names: Sequence[str], metric: str) -> List[Choice]:
    """Every family's choice on `names`, cheapest first."""
    chosen = [choose(data, names, fam, metric) for fam in families()]
    chosen += [choose_cascade(data, names, f, s, metric) for f in (10, 15, 20) for s in ("min_top1_tok", "avg_logprob")]
    return sorted((c for c in chosen if c), key=lambda c: c[0])


def cell(res: Dict) -> str:
    return f"{res['dwer_fr']:+.3f} / {res['dwer_en']:+.3f} / {res['ratio']:.2f} / {res['expensive']} of {res['phrases']}"


def today_table(data: Data, metric: str) -> None:
    """Today's path: its median time, the encoder's part, its fallbacks and what they changed."""
    decoded = [p for p in data.prepared.values() if not p["gated"]]
    today = evaluate(data, data.names, Policy("today"), metric)
    first = evaluate(data, data.names, Policy("fixed", 30, beam="beam5"), metric)
    part = {k: statistics.median(p["win"][30][k][metric] for p in decoded) for k in ("enc", "beam5", "greedy")}
    pieces = {v: [data.prepared[r["id"]] for n in data.names for r in data.views[v][n]] for v in today}
    print("## 1. Today's path\n\n| | whole | cut |\n|---|---|---|")
    phrases.row("median time", lambda v: f"{today[v]['median']:.3f} s")
    phrases.row("encoder 30 s / beam-5 pass / greedy pass (medians)", lambda v: "" if v == "cut" else
                f"{part['enc']:.3f} / {part['beam5']:.3f} / {part['greedy']:.3f} s")
    phrases.row("WER fr / en", lambda v: f"{today[v]['wer_today_fr']:.3f} / {today[v]['wer_today_en']:.3f}")
    phrases.row("WER fr / en, first pass only", lambda v: f"{first[v]['wer_fr']:.3f} / {first[v]['wer_en']:.3f}")
    phrases.row("phrases with fallbacks", lambda v: f"{sum(p['fallbacks'] > 0 for p in pieces[v])}/{len(pieces[v])}")
    print()
    for v in today:
        for p in (p for p in pieces[v] if p["fallbacks"]):
            print(f"- {v} {p['id']}: {p['fallbacks'] + 1} passes, final T {p['temperature']}, "
                  f"+{p['fallback'][metric]:.2f} s: {p['win'][30]['beam5']['text']!r} -> {p['today_text']!r}")


def fixed_table(data: Data, metric: str) -> None:
    """Each window with greedy or beam 5 alone, the plugin's min_window option, and each part's cost."""
    other = "wall" if metric == "cpu" else "cpu"
    print("\n## 2. Fixed configurations (T=0, no fallback; agree = same words as today)\n\n"
          f"| config | view | WER fr (d) | WER en (d) | agree | time ratio ({other}) |\n|---|---|---|---|---|---|")
    for pol in ([Policy("fixed", f, beam=b) for f in phrases.FLOORS for b in ("greedy", "beam5")]
                + [Policy("plugin", f) for f in (10, 15, 20)]):
        ev, ev2 = evaluate(data, data.names, pol, metric), evaluate(data, data.names, pol, other)
        for v, e in ev.items():
            print(f"| {pol.label()} | {v} | {e['wer_fr']:.3f} ({e['dwer_fr']:+.3f}) | {e['wer_en']:.3f} "
                  f"({e['dwer_en']:+.3f}) | {e['agree']}/{e['phrases']} | {e['ratio']:.2f} ({ev2[v]['ratio']:.2f}) |")
    decoded = [p for p in data.prepared.values() if not p["gated"]]
    print(f"\nMedian cost of each part, {len(decoded)} decoded phrases:\n\n"
          "| window | encoder | greedy | greedy + logits | beam 5 |\n|---|---|---|---|---|")
    for f in phrases.FLOORS:
        qs = [p["win"][p["window"][f]] for p in decoded]
        phrases.row(f"W({f})", lambda k: f"{statistics.median(q[k][metric] for q in qs):.3f} s",
                    ("enc", "greedy", "sure_cost", "beam5"))
    passes = [q for p in decoded for q in p["win"].values()]
    overhead = statistics.median(p["win"][30]["sure_cost"][metric] / p["win"][30]["greedy"][metric] for p in decoded)
    print(f"\nGreedy with logits / greedy at 30 s: median {overhead:.2f}; same tokens in "
          f"{sum(q['same_tokens'] for q in passes)}/{len(passes)} passes.")


def policy_tables(data: Data, metric: str, top: int) -> None:
    """The search on the whole corpus, on A reported on B, the swap, and 2-fold."""
    print("\n## 3. Policies (cells: dWER fr / dWER en / time ratio / phrases on today's path)")
    found, A, B = {}, data.half["A"], data.half["B"]
    for key, train, test in (("all", data.names, None), ("A", A, B), ("B", B, A)):
        found[key] = chosen = search(data, train, metric)
        print("\n### " + ("whole corpus, in-sample" if test is None else f"chosen on {key}, reported on the other half")
              + "\n\n| policy | train whole | train cut | test whole | test cut | test meets (WER, time) |\n"
              "|---|---|---|---|---|---|")
        for _, pol, ev in chosen[:top]:
            tested = evaluate(data, test, pol, metric) if test else ev
            shown = f"{cell(tested['whole'])} | {cell(tested['cut'])}" if test else "(same) | (same)"
            print(f"| {pol.label()} | {cell(ev['whole'])} | {cell(ev['cut'])} | {shown} | {meets(tested)} |")
        if test:
            n = sum(all(meets(evaluate(data, test, pol, metric))) for _, pol, _ in chosen)
            print(f"\n{n} of {len(chosen)} policies chosen on {key} meet both rules on the other half.")
    print("\n### 2-fold: each recording gets the thresholds chosen on the other half\n\n"
          "| family | T from A | T from B | whole | cut | meets (WER, time) |\n|---|---|---|---|---|---|")
    by_b = {pol._replace(T=-INF, T2=-INF): pol for _, pol, _ in found["B"]}
    folds = []
    for pa in (pol for _, pol, _ in found["A"] if pol._replace(T=-INF, T2=-INF) in by_b):
        pb = by_b[pa._replace(T=-INF, T2=-INF)]
        ev = evaluate(data, data.names, {n: (pa if n in B else pb) for n in data.names}, metric)
        worst = max(max(ev[v][f"dwer_{l}"] for v in ev for l in ("fr", "en")), 0.0)
        folds.append((worst + (not meets(ev)[1]), pa, pb, ev))
    for _, pa, pb, ev in sorted(folds, key=lambda f: f[0])[:top * 2]:
        t = [f"{p.T:.4f}" + (f", {p.T2:.4f}" if p.kind == "cascade" else "") for p in (pa, pb)]
        print(f"| {pa.label().split(' >=')[0]} | {t[0]} | {t[1]} | {cell(ev['whole'])} | {cell(ev['cut'])} | {meets(ev)} |")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="collect.py's output (default: its default)")
    parser.add_argument("--metric", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--top", type=int, default=4, help="policies listed per search")
    args = parser.parse_args(argv)
    rows = phrases.load(args.files or [phrases.default_data()])
    data = Data(rows)
    first = [r for r in rows.values() if not phrases.vad_refused(r) and not r["today"]["work"].get("fallbacks")]
    same = sum(r["windows"]["30"]["beam5"]["text"] == r["today"]["heard"] for r in first)
    whole = {n: data.views["whole"][n][0] for n in data.names}
    words = {(h, l): sum(len(phrases.words(whole[n]["reference"], l)) for n in data.half[h] if whole[n]["language"] == l)
             for h in "AB" for l in ("fr", "en")}
    print(f"# Issue 22: {len(data.names)} speech recordings, {len(data.prepared)} phrases, {args.metric} time\n\n"
          f"Beam 5 at 30 s writes today's words on {same} of {len(first)} phrases decoded without a fallback.\n"
          "Reference words (one word error = 1/words): " + ", ".join(f"{h} {l} {n}" for (h, l), n in words.items()) + "\n")
    today_table(data, args.metric)
    fixed_table(data, args.metric)
    policy_tables(data, args.metric, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
