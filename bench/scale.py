"""Scale: tokenise seconds, train seconds and peak memory at 1M, 20M and 100M words (ours vs gensim).

    python -m bench --only scale                               # 1M, 20M, 100M words (needs ~1.2 GB of temp disk)
    python -m bench.scale --sizes 1e6,2e7                      # some sizes; results to bench/results
    python -m bench.scale --child ours --raw R.txt --tok T.txt # one JSON line (a fresh process per size)

Corpora: the sample's lines, shuffled with a fixed seed (a new permutation per copy), copied until
the size is reached; every corpus is a prefix of the same stream, written twice into a temporary
directory: raw text (ours reads it) and pre-tokenised space-separated text (gensim reads it). Not committed.

Each (contender, size) runs in a fresh subprocess, so its peak RSS (VmHWM) is its own:
- ours: `scan_corpus` (parallel on all cores; corpora >= 64 MB go to memory-mapped .npy files) is
  "tokenise"; prepare + train (vocabulary, encoding, 1 epoch with the native kernel) is "train";
  training words/s is the training loop's own (RunResult.train_seconds).
- gensim: `build_vocab(corpus_file=...)` is "tokenise" (its whitespace split + counting), and
  `train(corpus_file=...)` is "train": gensim streams the file from disk on every pass.
Both use the "word2vec defaults" preset with 1 epoch. Targets: ours' peak RSS at the largest size
<= 1.2x at the smallest; tokenise words/s >= training words/s at 20M words. The machine is shared
(load average recorded): compare ratios within one run, not seconds across runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import RESULTS, ROOT, SAMPLE, Section, peak_rss_mb

SIZES = (1_000_000, 20_000_000, 100_000_000)
PRESET = "word2vec defaults"
RSS_GOAL = 1.2
TOKENISE_AT = 20_000_000


def build_corpora(sample: Path | str, sizes, out_dir: Path | str, seed: int = 0) -> list[dict]:
    """Raw + pre-tokenised corpora of at least each size in words, written a permutation at a time."""
    from trainer import tokenize
    lines = Path(sample).read_text(encoding="utf-8").splitlines()
    toks = [" ".join(tokenize(ln)) for ln in lines]
    lengths = np.array([len(tokenize(ln)) for ln in lines])
    sizes = sorted(int(s) for s in sizes)
    out = [{"size": s, "raw": Path(out_dir) / f"scale_{s}.txt", "tok": Path(out_dir) / f"scale_{s}.tok.txt",
            "words": 0} for s in sizes]
    files = [(open(o["raw"], "w", encoding="utf-8"), open(o["tok"], "w", encoding="utf-8")) for o in out]
    rng = np.random.default_rng(seed)
    words, open_ = 0, list(range(len(out)))
    try:
        while open_:
            perm = rng.permutation(len(lines))
            cum = words + np.cumsum(lengths[perm])
            for k in list(open_):
                # lines of this permutation up to the first one that reaches the size (all of them if none does)
                stop = int(np.searchsorted(cum, out[k]["size"])) + 1 if cum[-1] >= out[k]["size"] else len(perm)
                part = perm[:stop]
                files[k][0].write("\n".join(lines[i] for i in part) + "\n")
                files[k][1].write("\n".join(toks[i] for i in part if lengths[i]) + "\n")
                if stop < len(perm) or cum[-1] >= out[k]["size"]:
                    out[k]["words"] = int(cum[stop - 1])
                    files[k][0].close()
                    files[k][1].close()
                    open_.remove(k)
            words = int(cum[-1])
    finally:
        for fr, ft in files:
            fr.close()
            ft.close()
    return out


# ----------------------------------------------------------------- the child
def _current_rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


class _ChildrenPeak:
    """Samples the summed RSS of this process's children (the scan workers) every 0.2 s."""

    def __enter__(self):
        import threading

        import psutil
        self.peak_mb, self._stop = 0.0, threading.Event()

        def sample():
            me = psutil.Process()
            while not self._stop.wait(0.2):
                total = 0
                for c in me.children(recursive=True):
                    try:
                        total += c.memory_info().rss
                    except psutil.Error:  # a worker that just exited
                        continue
                self.peak_mb = max(self.peak_mb, total / 2**20)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _child(who: str, raw: str, tok: str) -> dict:
    from trainer import preset
    cfg = preset(PRESET, epochs=1)
    if who == "ours":
        import tensorflow as tf  # noqa: F401  (baseline includes TensorFlow and the kernel)

        from trainer import TextSource, native, prepare, scan_corpus, train
        if native.load() is None:
            raise RuntimeError(f"native kernel unavailable ({native.last_error()}); "
                               "build it: python -m trainer.native")
        base = _current_rss_mb()
        t0 = time.perf_counter()
        with _ChildrenPeak() as workers:  # the scan's worker processes have their own RSS
            scan = scan_corpus([TextSource.from_path(raw)])
        t1 = time.perf_counter()
        prep = prepare(scan, cfg)
        res = train(prep, cfg)
        t2 = time.perf_counter()
        out = {"tokenise_s": t1 - t0, "train_s": t2 - t1, "train_loop_s": res.train_seconds,
               "raw_words": scan.stats.tokens, "vocab": len(res.words), "backend": res.backend,
               "scan_workers": scan.stats.scan_workers, "on_disk": prep.corpus.on_disk,
               "scan_workers_peak_rss_mb": workers.peak_mb}
        prep.close()
    else:
        from gensim.models import Word2Vec

        from .throughput import gensim_kwargs
        base = _current_rss_mb()
        model = Word2Vec(**gensim_kwargs(cfg, workers=os.cpu_count() or 2, seed=1))
        t0 = time.perf_counter()
        model.build_vocab(corpus_file=tok)
        t1 = time.perf_counter()
        model.train(corpus_file=tok, total_words=model.corpus_total_words, epochs=model.epochs)
        t2 = time.perf_counter()
        out = {"tokenise_s": t1 - t0, "train_s": t2 - t1, "train_loop_s": t2 - t1,
               "raw_words": int(model.corpus_total_words), "vocab": len(model.wv)}
    return {**out, "who": who, "baseline_rss_mb": base, "peak_rss_mb": peak_rss_mb(),
            "load_average": list(os.getloadavg())}


def run_child(who: str, corpus: dict, timeout: float = 3600) -> dict:
    cmd = [sys.executable, "-m", "bench.scale", "--child", who, "--raw", str(corpus["raw"]),
           "--tok", str(corpus["tok"])]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"scale child {who} failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


# ----------------------------------------------------------------- the section
def run(sizes=SIZES, corpus: Path | str = SAMPLE, out_dir: Path | str = RESULTS, tmp_dir: str | None = None,
        tokenise_at: int = TOKENISE_AT) -> dict:
    """Build the corpora in a temp dir, run every (contender, size) in a fresh subprocess, plot."""
    sec = Section("scale")
    rows: dict[str, list[dict]] = {"ours": [], "gensim": []}
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=tmp_dir) as tmp:
        t0 = time.perf_counter()
        corpora = build_corpora(corpus, sizes, tmp)
        sec.record("corpora", words=[c["words"] for c in corpora], build_s=time.perf_counter() - t0,
                   raw_mb=[c["raw"].stat().st_size / 2**20 for c in corpora], preset=PRESET, epochs=1,
                   ours_input="raw text, parallel scan, memory-mapped ids when >= 64 MB",
                   gensim_input="corpus_file (pre-tokenised text streamed from disk)")
        for c in corpora:
            for who in ("ours", "gensim"):
                r = run_child(who, c)
                r.update(size=c["size"], words=c["words"], tokenise_words_per_s=c["words"] / r["tokenise_s"],
                         train_words_per_s=c["words"] / r["train_loop_s"])
                rows[who].append(sec.record(who, **r))
    return summarise(sec, rows, out_dir, tokenise_at)


def summarise(sec: Section, rows: dict[str, list[dict]], out_dir: Path | str, tokenise_at: int,
              note: str | None = None) -> dict:
    """Targets, note, plot and the section's result from the measured rows."""
    _targets(sec, rows, tokenise_at)
    png = plot(rows, Path(out_dir) / "scale.png")
    largest = max(r["words"] for r in rows["ours"])
    sec.note(f"largest corpus tested: {largest:,} words; 1 epoch; the box is shared by other jobs (see "
             "load_average per row): ratios within this run are what count")
    if note:
        sec.note(note)
    shown = str(png.relative_to(ROOT)) if png and png.is_relative_to(ROOT) else (str(png) if png else None)
    return sec.result(rows=rows, largest_words=largest, plot=shown)


def from_log(log: Path | str, out_dir: Path | str, tokenise_at: int = TOKENISE_AT, note: str | None = None) -> dict:
    """Rebuild the section from the JSON lines a run printed (e.g. a run stopped before its last child)."""
    sec = Section("scale")
    rows: dict[str, list[dict]] = {"ours": [], "gensim": []}
    for line in Path(log).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line) if line.startswith("{") else {}
        if rec.get("section") != "scale" or rec.get("measure") not in ("corpora", "ours", "gensim"):
            continue
        fields = {k: v for k, v in rec.items() if k not in ("section", "measure")}
        r = sec.record(rec["measure"], **fields)
        if rec["measure"] in rows:
            rows[rec["measure"]].append(r)
    return summarise(sec, rows, out_dir, tokenise_at, note)


def _targets(sec: Section, rows: dict[str, list[dict]], tokenise_at: int) -> None:
    ours = rows["ours"]
    small, big = ours[0], ours[-1]
    ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
    g = rows["gensim"]
    g_ratio = g[-1]["peak_rss_mb"] / g[0]["peak_rss_mb"] if g else None
    sec.target(f"ours peak RSS, {big['size'] / 1e6:g}M vs {small['size'] / 1e6:g}M words",
               f"{big['peak_rss_mb']:.0f} / {small['peak_rss_mb']:.0f} MB = {ratio:.2f}x"
               + (f" (gensim {g_ratio:.2f}x)" if g_ratio else ""), f"<= {RSS_GOAL}x", ratio <= RSS_GOAL)
    at = next((r for r in ours if r["size"] == tokenise_at), None)
    if at is None:
        sec.target(f"ours tokenise vs train words/s at {tokenise_at / 1e6:g}M", "not measured (size not run)",
                   ">= 1.0x", None)
        return
    q = at["tokenise_words_per_s"] / at["train_words_per_s"]
    sec.target(f"ours tokenise vs train words/s at {tokenise_at / 1e6:g}M ({at['scan_workers']} scan processes)",
               f"{at['tokenise_words_per_s']:,.0f} / {at['train_words_per_s']:,.0f} = {q:.2f}x", ">= 1.0x", q >= 1.0)


def markdown_table(rows: dict[str, list[dict]]) -> str:
    """The README's Scale table: corpus words -> tokenise s, train s, peak RSS, ours and gensim."""
    out = ["| corpus words | ours tokenise s | ours train s | ours peak RSS MB (scan workers) "
           "| gensim tokenise s | gensim train s | gensim peak RSS MB |", "|---|---|---|---|---|---|---|"]
    sizes = sorted({r["size"] for v in rows.values() for r in v})
    for size in sizes:
        o = next((r for r in rows["ours"] if r["size"] == size), None)
        g = next((r for r in rows["gensim"] if r["size"] == size), None)
        words = (o or g)["words"]
        oc = (f"{o['tokenise_s']:.1f} | {o['train_s']:.1f} | {o['peak_rss_mb']:.0f}"
              + (f" (+{o['scan_workers_peak_rss_mb']:.0f})" if o.get("scan_workers_peak_rss_mb") else "")
              if o else "not run | not run | not run")
        gc = (f"{g['tokenise_s']:.1f} | {g['train_s']:.1f} | {g['peak_rss_mb']:.0f}" if g
              else "not run | not run | not run")
        out.append(f"| {words:,} | {oc} | {gc} |")
    return "\n".join(out)


COLOURS = {"ours": ("#1f77b4", "#9ecae1"), "gensim": ("#d62728", "#fcae91")}


def plot(rows: dict[str, list[dict]], path: Path) -> Path | None:
    from .plot import Panel, Series, save_png
    series = []
    for who, v in rows.items():
        xs = [r["words"] for r in v]
        series += [Series(f"{who} tokenise", xs, [r["tokenise_s"] for r in v], COLOURS[who][1]),
                   Series(f"{who} train", xs, [r["train_s"] for r in v], COLOURS[who][0])]
    t = Panel("Seconds vs corpus words, 1 epoch (log-log)", "corpus words", "seconds", series, logx=True, logy=True)
    return save_png(path, [t, rss_panel(rows)])


def rss_panel(rows: dict[str, list[dict]]):
    """Peak RSS and RSS after imports against corpus words, one pair of lines per contender."""
    from .plot import Panel, Series
    return Panel("Peak RSS vs corpus words (fresh process each)", "corpus words", "MB",
                 [Series(f"{w} peak", [r["words"] for r in v], [r["peak_rss_mb"] for r in v], COLOURS[w][0])
                  for w, v in rows.items()]
                 + [Series(f"{w} after imports", [r["words"] for r in v], [r["baseline_rss_mb"] for r in v],
                           COLOURS[w][1]) for w, v in rows.items()], logx=True, ymin=0)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=("ours", "gensim"), help="measure one contender, print one RESULT line")
    ap.add_argument("--raw")
    ap.add_argument("--tok")
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated word counts")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--from-log", type=Path, help="rebuild results and plot from a run's printed JSON lines")
    ap.add_argument("--note", help="with --from-log: a note to add (e.g. why the run was stopped)")
    a = ap.parse_args()
    if a.child:
        print("RESULT " + json.dumps(_child(a.child, a.raw, a.tok)), flush=True)
    else:
        from .common import machine_info, write_result
        result = from_log(a.from_log, a.out, note=a.note) if a.from_log else \
            run(sizes=[int(float(s)) for s in a.sizes.split(",")], out_dir=a.out)
        result["machine"] = machine_info()
        print(write_result(result, a.out), file=sys.stderr)
        print(markdown_table(result["rows"]))
