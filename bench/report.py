"""The Markdown summary: every target with measured value, goal and PASS/MISS/SKIP, plus key figures.

    from bench.report import load_results, readme_table
    print(readme_table(load_results("bench/results")))    # what bench/results/README-table.md holds

Built from the section files in the results folder, so `python -m bench --only growth`
refreshes its rows and keeps the others from their last run (each file carries its date).
"""
from __future__ import annotations

import json
from pathlib import Path

SECTION_ORDER = ("throughput", "backends", "tutorial", "first_map", "growth", "scale", "explorer", "alignment", "gpu",
                 "app_throughput")
TITLES = {"throughput": "1. Throughput vs gensim", "backends": "1. Backends vs gensim",
          "tutorial": "1. Tutorial pipeline", "first_map": "2. First map",
          "growth": "3. Growth", "scale": "3. Scale", "explorer": "4. Explorer", "alignment": "4. Aligned comparison",
          "gpu": "5. GPU", "app_throughput": "6. Training in the app"}


def load_results(out_dir: Path | str) -> dict[str, dict]:
    out = {}
    for name in SECTION_ORDER:
        p = Path(out_dir) / f"{name}.json"
        if p.is_file():
            try:
                out[name] = json.loads(p.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                continue
    return out


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def targets_table(results: dict[str, dict]) -> str:
    rows = ["| Section | Target | Measured | Goal | Status |", "|---|---|---|---|---|"]
    for name in SECTION_ORDER:
        for t in results.get(name, {}).get("targets", []):
            rows.append(f"| {TITLES[name]} | {_cell(t['target'])} | {_cell(t['measured'])} | {_cell(t['goal'])} "
                        f"| **{t['status']}** |")
    return "\n".join(rows)


def _f(x, unit: str = "", digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, (int, float)):
        return f"{x:,.0f}{unit}" if abs(x) >= 1000 else f"{x:.{digits}g}{unit}"
    return str(x)


def measurements_table(results: dict[str, dict]) -> str:
    """A compact table of the raw figures behind the targets."""
    rows = ["| Measurement | Value |", "|---|---|"]
    if s := results.get("throughput", {}).get("summary"):
        w = s["words_per_s"]
        for who in ("ours", "gensim"):
            rows.append(f"| words/s, {who} (median of {w[who]['n']}, min..max) | {_f(w[who]['median'])} "
                        f"({_f(w[who]['min'])}..{_f(w[who]['max'])}) |")
        for who in ("ours", "gensim"):
            q = s["quality"][who]
            rows.append(f"| quality, {who}: analogy / WS353 rho / SimLex rho | {q['analogy']:.3f} / "
                        f"{q['ws353']:.3f} / {q['simlex']:.3f} |")
    if s := results.get("tutorial", {}).get("summary"):
        for who, label in (("tutorial_pipeline", "tutorial pipeline"),
                           ("ours_tutorial_preset", "ours, tutorial preset")):
            sec = s["seconds"][who]
            q = s["quality_shared_vocab"][who]
            rows.append(f"| {label}: end-to-end s (median of {sec['n']}); analogy / WS353 / SimLex (shared vocab) "
                        f"| {_f(sec['median'], ' s')}; {q['analogy']:.3f} / {q['ws353']:.3f} / {q['simlex']:.3f} |")
    if s := results.get("first_map", {}).get("summary"):
        rows.append(f"| time to first map, {s['top']:,} words: cold / warm | {_f(s['cold_s'], ' s')} / "
                    f"{_f(s['warm_s'], ' s')} |")
    growth = results.get("growth", {})
    for rec in growth.get("records", []):
        if rec.get("measure") in ("ours", "gensim"):
            tok = f" (+{_f(rec['tokenise_s'], ' s')} tokenising)" if "tokenise_s" in rec else ""
            rows.append(f"| growth {rec['measure']}, {rec['words'] / 1e6:.2g}M words x {rec['epochs']} epoch: "
                        f"train s / peak RSS (after imports) | {_f(rec['train_s'], ' s')}{tok} / "
                        f"{_f(rec['peak_rss_mb'], ' MB')} ({_f(rec['baseline_rss_mb'], ' MB')}) |")
    for preset, r in results.get("app_throughput", {}).get("summary", {}).items():
        for v in ("app", "app_streamlit_defaults"):
            if v in r:
                rows.append(f"| {v.replace('_', ' ')}, {preset} x {r['epochs']} epochs: words/s (CLI) = ratio; "
                            f"first loss | {_f(r[v]['words_per_s']['median'])} ({_f(r['cli_words_per_s']['median'])})"
                            f" = {r[v]['ratio_to_cli']:.2f}x; {r[v]['first_loss_s']['median']:.2f} s |")
    for rec in results.get("explorer", {}).get("records", []):
        label, value = _explorer_row(rec)
        if label:
            rows.append(f"| explorer: {_cell(label)} | {_cell(value)} |")
    return "\n".join(rows)


def _explorer_row(rec: dict) -> tuple[str | None, str]:
    """bench_explorer's records, whatever their exact shape: name + the seconds/ms fields."""
    if rec.get("measure") in ("target", "note", "skipped"):
        return None, ""
    name = rec.get("measure") or rec.get("name") or rec.get("bench")
    if not name:
        return None, ""
    size = next((rec[k] for k in ("words", "n_words", "vocab", "size", "n") if k in rec), None)
    vals = [f"{k} {_f(v)}" for k, v in rec.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
            and (k.endswith("_s") or k.endswith("_ms") or k in ("seconds", "ms", "median_ms", "p50_ms", "p95_ms"))]
    return (f"{name}" + (f" ({size:,} words)" if isinstance(size, int) else "")), ", ".join(vals) or "see explorer.json"


def backends_table(results: dict[str, dict]) -> str:
    """One row per backend (bench/backends.py): quality means and words/s vs gensim, with where and when."""
    res = results.get("backends", {})
    s = res.get("summary")
    if not s:
        return ""
    m = res.get("machine", {})
    when = f"measured {m.get('date', '?')[:10]} on {m.get('cpu_model', '?')}"
    rows = [f"Backends on gensim's head500.noblanks.cor ({s['raw_words']:,} words, same tokens, {s['epochs']} epochs, "
            f"mean over seeds), {when}:",
            "", "| backend | seeds | analogy | WordSim353 | SimLex-999 | words/s | vs gensim |",
            "|---|---|---|---|---|---|---|"]
    for r in s["table"]:
        rows.append(f"| {_cell(r['contender'])} ({r['backend']}) | {r['seeds']} | {r['analogy']:.1%} | "
                    f"{r['ws353']:.3f} | {r['simlex']:.3f} | {_f(r['words_per_s'])} | "
                    f"{r['vs_gensim_words_per_s']:.2f}x |")
    gpu = results.get("gpu", {}).get("summary", {})
    for r in gpu.get("table", []) if not s.get("gpu") else []:  # measured on a GPU machine (section 5)
        if not r["contender"].startswith("gensim"):
            rows.append(f"| {_cell(r['contender'])} ({_cell(gpu.get('device', 'GPU'))}) | {r['seeds']} | "
                        f"{r['analogy']:.1%} | {r['ws353']:.3f} | {r['simlex']:.3f} | (GPU host) | |")
    return "\n".join(rows)


def machine_line(results: dict[str, dict]) -> str:
    """Where and when each section was measured: sections re-run later keep the others' older results, which
    may come from another machine (each section file carries its own)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, r in results.items():
        if "machine" in r:
            groups.setdefault((r["machine"]["date"][:10], r["machine"]["cpu_model"]), []).append(TITLES[name])
    if not groups:
        return ""
    m = next(r["machine"] for r in results.values() if "machine" in r)
    v = m.get("versions", {})
    where = "; ".join(f"{date} on {cpu} ({', '.join(dict.fromkeys(t.split('. ', 1)[1] for t in titles))})"
                      for (date, cpu), titles in sorted(groups.items(), reverse=True))
    return (f"Measured {where}; {m['usable_cores']} cores usable, TensorFlow {v.get('tensorflow')}, "
            f"gensim {v.get('gensim')}, Python {m['python']}.")


def readme_table(results: dict[str, dict]) -> str:
    return "\n".join([
        "<!-- generated by `python -m bench` (bench/report.py); do not edit by hand -->",
        machine_line(results),
        "Performance is judged only as ratios measured in the same run on the same machine; absolute seconds on a "
        "shared 2-core machine are noise. Quality scores are gensim's evaluators on a 200k-word corpus: small and "
        "noisy, a sanity check rather than a ranking.",
        "",
        targets_table(results),
        "",
        measurements_table(results),
        "",
        backends_table(results),
        "",
    ])
