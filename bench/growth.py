"""Section 3: how training time and memory grow with the corpus (ours vs gensim).

    python -m bench --only growth                        # 0.2M, 1M, 5M, 20M words
    python -m bench.growth --child ours --raw R.txt --tok T.txt --epochs 1     # one JSON line
    from bench import growth; growth.run(sizes=(20_000, 50_000))

Corpora: the sample's lines, shuffled with a fixed seed (a new permutation per copy), copied
until the size is reached (sizes count tokens as trainer.tokenizer.tokenize counts them); every
corpus is a prefix of the same stream. Each lives in a temporary directory twice: raw text
(ours reads it) and pre-tokenised, space-separated (gensim reads it).

Each (contender, size) runs in a fresh subprocess so peak RSS (VmHWM, read in the child; not
ru_maxrss, which Linux carries over from the parent across fork+exec) is its own:
- ours: scan_corpus (tokenisation, timed apart), then prepare + train (the training seconds);
- gensim: Word2Vec(LineSentence(pre-tokenised file)) - a restartable iterable that streams
  the file on every pass (vocabulary scan + epochs), never a list in memory; its seconds
  include that build_vocab pass and the whitespace split, not our tokeniser.
Both use the "word2vec defaults" preset with 1 epoch at every size (words x epochs is then
simply the corpus size; 20M words at 5 epochs would take many minutes on 2 cores for little
extra information). Baseline RSS (after imports: TensorFlow for ours, gensim for gensim) is
recorded, so the data-dependent part (peak - baseline) is visible too.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import RESULTS, ROOT, SAMPLE, Section, peak_rss_mb
from .scale import COLOURS, _current_rss_mb, build_corpora, rss_panel  # one builder, RSS reader, memory panel

SIZES = (200_000, 1_000_000, 5_000_000, 20_000_000)
PRESET = "word2vec defaults"


# ----------------------------------------------------------------- the child
def _child(who: str, raw: str, tok: str, epochs: int) -> dict:
    from trainer import preset
    cfg = preset(PRESET, epochs=epochs)
    if who == "ours":
        import tensorflow as tf  # noqa: F401  (baseline includes TensorFlow and the kernel)

        from trainer import TextSource, native, prepare, scan_corpus, train
        native.load()
        base = _current_rss_mb()
        t0 = time.perf_counter()
        scan = scan_corpus([TextSource.from_path(raw)])
        t1 = time.perf_counter()
        res = train(prepare(scan, cfg), cfg)
        t2 = time.perf_counter()
        out = {"tokenise_s": t1 - t0, "train_s": t2 - t1, "raw_words": scan.stats.tokens, "vocab": len(res.words),
               "backend": res.backend}
    else:
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence

        from .throughput import gensim_kwargs
        base = _current_rss_mb()
        t0 = time.perf_counter()
        model = Word2Vec(LineSentence(tok), **gensim_kwargs(cfg, workers=2, seed=1))
        out = {"train_s": time.perf_counter() - t0, "raw_words": int(model.corpus_total_words),
               "vocab": len(model.wv)}
    return {**out, "who": who, "epochs": epochs, "baseline_rss_mb": base, "peak_rss_mb": peak_rss_mb()}


def run_child(who: str, corpus: dict, epochs: int, timeout: float = 1200) -> dict:
    cmd = [sys.executable, "-m", "bench.growth", "--child", who, "--raw", str(corpus["raw"]),
           "--tok", str(corpus["tok"]), "--epochs", str(epochs)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"growth child {who} failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


# ----------------------------------------------------------------- the section
def run(sizes=SIZES, epochs: int = 1, corpus: Path | str = SAMPLE, out_dir: Path | str = RESULTS,
        emit="default", memory_pair: tuple[int, int] = (1_000_000, 20_000_000)) -> dict:
    """Build the corpora in a temp dir, run every (contender, size) in a subprocess, plot."""
    sec = Section("growth") if emit == "default" else Section("growth", emit)
    rows: dict[str, list[dict]] = {"ours": [], "gensim": []}
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        t0 = time.perf_counter()
        corpora = build_corpora(corpus, sizes, tmp)
        sec.record("corpora", sizes=[c["words"] for c in corpora], build_s=time.perf_counter() - t0,
                   epochs=epochs, preset=PRESET,
                   gensim_input="LineSentence over a pre-tokenised file (streamed every pass)",
                   ours_input="raw text file, scanned once into int32 ids")
        for c in corpora:
            for who in ("ours", "gensim"):
                r = run_child(who, c, epochs)
                r.update(size=c["size"], words=c["words"],
                         words_per_s=c["words"] * epochs / r["train_s"], s_per_mword=r["train_s"] / c["words"] * 1e6)
                rows[who].append(sec.record(who, **r))

    def at(who, size):
        return next((r for r in rows[who] if r["size"] == size), None)

    summary = {}
    for who in rows:
        first, last = rows[who][0], rows[who][-1]
        summary[who] = {"time_growth": last["train_s"] / first["train_s"],
                        "size_growth": last["words"] / first["words"],
                        "s_per_mword": [r["s_per_mword"] for r in rows[who]]}
        a, b = at(who, memory_pair[0]), at(who, memory_pair[1])
        if a and b:
            summary[who]["memory_ratio"] = b["peak_rss_mb"] / a["peak_rss_mb"]
    sec.record("summary", **summary)
    a, b = at("ours", memory_pair[0]), at("ours", memory_pair[1])
    label = f"{memory_pair[1] / 1e6:g}M vs {memory_pair[0] / 1e6:g}M words"
    if a and b:
        ratio = b["peak_rss_mb"] / a["peak_rss_mb"]
        g = summary["gensim"].get("memory_ratio")
        above = [r["peak_rss_mb"] - r["baseline_rss_mb"] for r in (b, a)]
        sec.target(f"ours peak RSS, {label}", f"{b['peak_rss_mb']:.0f} / {a['peak_rss_mb']:.0f} MB = {ratio:.2f}x"
                   f" (above imports {above[0]:.0f} vs {above[1]:.0f} MB"
                   + (f"; gensim {g:.2f}x)" if g else ")"), "<= 1.5x", ratio <= 1.5)
    else:
        sec.target(f"ours peak RSS, {label}", "not measured (sizes not run)", "<= 1.5x", None)
    sec.note(f"1 epoch at every size ({epochs} given); gensim streams a pre-tokenised file (LineSentence); "
             "ours scans the raw text once into int32 ids (4 bytes/token, plus the encoded copy)")
    png = plot(rows, Path(out_dir) / "growth.png")
    return sec.result(summary=summary, plot=str(png.relative_to(ROOT)) if png and png.is_relative_to(ROOT) else
                      (str(png) if png else None))


def plot(rows: dict[str, list[dict]], path: Path) -> Path | None:
    from .plot import Panel, Series, save_png
    t = Panel("Training seconds vs corpus size (log-log; slope 1 = linear)", "corpus words", "seconds",
              [Series(w, [r["words"] for r in v], [r["train_s"] for r in v], COLOURS[w][0]) for w, v in rows.items()],
              logx=True, logy=True)
    return save_png(path, [t, rss_panel(rows)])


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=("ours", "gensim"), help="measure one contender, print one RESULT line")
    ap.add_argument("--raw")
    ap.add_argument("--tok")
    ap.add_argument("--epochs", type=int, default=1)
    a = ap.parse_args()
    if a.child:
        print("RESULT " + json.dumps(_child(a.child, a.raw, a.tok, a.epochs)), flush=True)
    else:
        run()
