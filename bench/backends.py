"""Section 1b: every training backend vs gensim on one Wikipedia-like corpus: quality and words/s.

    python -m bench --only backends              # head500 (331k words), 3 seeds per contender
    from bench import backends; backends.run(seeds=(1,), epochs=1, corpus="slice.txt")

Contenders, all on the "word2vec defaults" preset (skip-gram, dim 100, window 5, negative 5,
5 epochs, min_count 5, sample 1e-3) and the same seeds:
- gensim Word2Vec(sg=1, workers=2), the reference;
- ours, native kernel (backend="native");
- ours, TensorFlow ops at the CPU batch (TFModel.default_batch_size(V, on_gpu=False): 8,192);
- ours, TensorFlow ops at the GPU batch (default_batch_size(V, on_gpu=True): 65,536), run on
  the CPU when no GPU is visible: the exact update a GPU applies, so its quality is measured
  without one. With a GPU visible both TF rows run on it (backend "tf-gpu"); without one the
  GPU row says "not measured: no GPU lent".
Corpus: gensim's own test corpus `head500.noblanks.cor` (Wikipedia, lower-cased, stemmed). Same
tokens for both: gensim reads it with LineSentence (split on whitespace); ours with
lowercase=False, strip_punctuation=False (split on whitespace) and max_sentence_len=10,000
(gensim's limit), checked by counting. Quality = gensim's evaluators (bench.common.quality),
mean over the seeds. words/s = raw words x epochs / (prepare + train seconds), ratios against
gensim measured in the same run (the machine is shared: absolute figures are noise).
Targets (issue 9): TF rows: WordSim353 and SimLex >= gensim - 0.03, analogy >= 0.85x gensim;
native: no score below gensim's by more than gensim's own seed-to-seed range.

On a crowded machine the seeds can run as separate processes and be merged (words/s ratios
stay within one process and seed; each seed's runs still alternate in the same order):
    python -m bench.backends --seed 2 --out /tmp/seed2.json
    python -m bench.backends --merge /tmp/seed1.json /tmp/seed2.json /tmp/seed3.json --out bench/results/backends.json
"""
from __future__ import annotations

import time
from pathlib import Path

from .common import QUALITY_KEYS, Section, fmt, keyed_vectors, mean_quality, quality

PRESET = "word2vec defaults"
MAX_SENTENCE = 10_000  # gensim's MAX_WORDS_IN_BATCH: longer lines are cut there by LineSentence
WS_SL_MARGIN, ANALOGY_SHARE = 0.03, 0.85


def default_corpus() -> Path:
    from gensim.test.utils import datapath
    return Path(datapath("head500.noblanks.cor"))


def contenders(vocab_size: int) -> list[tuple[str, dict]]:
    """(label, TrainConfig changes) of our rows; gensim is measured apart. Without a GPU the
    TF rows run on the CPU; with one, TFModel puts them on it (their backend reads "tf-gpu")."""
    from trainer.model import TFModel
    big = TFModel.default_batch_size(vocab_size, on_gpu=True)
    cpu = TFModel.default_batch_size(vocab_size, on_gpu=False)
    return [("native", dict(backend="native")),
            (f"tf, batch {cpu:,} (the CPU batch)", dict(backend="tf", batch_size=cpu)),
            (f"tf, batch {big:,} (the GPU batch)", dict(backend="tf", batch_size=big))]


def _train_ours(scan, cfg) -> tuple[float, object]:
    from trainer import prepare, train
    t0 = time.perf_counter()
    result = train(prepare(scan, cfg), cfg)
    return time.perf_counter() - t0, result


def _train_gensim(path: Path, cfg, seed: int) -> tuple[float, object]:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    from .throughput import gensim_kwargs
    t0 = time.perf_counter()
    model = Word2Vec(LineSentence(str(path), max_sentence_length=MAX_SENTENCE), **gensim_kwargs(cfg, 2, seed))
    return time.perf_counter() - t0, model


def run(corpus: Path | str | None = None, seeds: tuple[int, ...] = (1, 2, 3), epochs: int | None = None,
        emit="default") -> dict:
    from trainer import TextSource, preset, scan_corpus
    from trainer.model import _tf
    sec = Section("backends") if emit == "default" else Section("backends", emit)
    path = Path(corpus) if corpus else default_corpus()
    tf = _tf()
    gpus = tf.config.list_physical_devices("GPU")
    cfg = preset(PRESET, lowercase=False, strip_punctuation=False, max_sentence_len=MAX_SENTENCE,
                 **({"epochs": epochs} if epochs else {}))
    scan = scan_corpus([TextSource.from_path(path)], False, False, MAX_SENTENCE)
    raw_words = scan.stats.tokens
    with open(path, encoding="utf-8") as f:
        gensim_words = sum(len(line.split()) for line in f)
    assert raw_words == gensim_words, "ours and gensim must see the same tokens"
    vocab_size = len(scan.vocabulary(cfg.min_count, cfg.max_vocab))
    sec.record("corpus", path=path.name, raw_words=raw_words, vocab=vocab_size, preset=PRESET,
               epochs=cfg.epochs, seeds=list(seeds), gensim_workers=2)

    rows = [("gensim (workers=2)", None)] + contenders(vocab_size)
    runs: dict[str, list[dict]] = {label: [] for label, _ in rows}
    for seed in seeds:  # seeds outermost: the machine's load drifts, every contender sees the same drift
        for label, changes in rows:
            if changes is None:
                secs, model = _train_gensim(path, cfg, seed)
                words, vectors, extra = list(model.wv.index_to_key), model.wv.vectors, {"backend": "gensim"}
            else:
                secs, res = _train_ours(scan, cfg.replace(seed=seed, **changes))
                words, vectors, extra = res.words, res.vectors, {"backend": res.backend}
            q = quality(keyed_vectors(words, vectors))
            runs[label].append(sec.record("run", contender=label, seed=seed, seconds=secs,
                                          words_per_s=raw_words * cfg.epochs / secs, **q, **extra))
    return _summarise(sec, runs, bool(gpus), raw_words, cfg.epochs)


def merge(results: list[dict], emit="default") -> dict:
    """One section from several run() results (e.g. one seed each): the runs pooled, summarised anew."""
    sec = Section("backends") if emit == "default" else Section("backends", emit)
    runs: dict[str, list[dict]] = {}
    for res in results:
        for rec in res["records"]:
            if rec["measure"] == "run":
                runs.setdefault(rec["contender"], []).append(rec)
            if rec["measure"] == "corpus" and not any(r["measure"] == "corpus" for r in sec.records):
                sec.record("corpus", **{k: v for k, v in rec.items() if k not in ("section", "measure")})
    for rs in runs.values():
        for rec in rs:
            sec.records.append(rec)
    s0 = results[0]["summary"]
    out = _summarise(sec, runs, s0["gpu"], s0["raw_words"], s0["epochs"])
    out["machine"] = results[0].get("machine", out["machine"])
    return out


def _summarise(sec: Section, runs: dict[str, list[dict]], gpu: bool, raw_words: int, epochs: int) -> dict:
    ref = "gensim (workers=2)"
    g = mean_quality(runs[ref])
    g_range = {q: max(r[q] for r in runs[ref]) - min(r[q] for r in runs[ref]) for q in QUALITY_KEYS}
    wps = {k: sum(r["words_per_s"] for r in v) / len(v) for k, v in runs.items()}
    table = []
    for label, rs in runs.items():
        q = mean_quality(rs)
        table.append({"contender": label, "backend": rs[0]["backend"], **{k: q[k] for k in QUALITY_KEYS},
                      "words_per_s": wps[label], "vs_gensim_words_per_s": wps[label] / wps[ref],
                      "seeds": len(rs)})
        if label == ref:
            continue
        sec.record("ratios", contender=label, words_per_s_vs_gensim=wps[label] / wps[ref],
                   **{f"{k}_minus_gensim": q[k] - g[k] for k in QUALITY_KEYS})
        n = len(rs)
        if label.startswith("native"):
            ok = all(q[k] >= g[k] - g_range[k] for k in QUALITY_KEYS)
            sec.target(f"{label}: analogy / WS353 / SimLex vs gensim (mean of {n})",
                       " / ".join(f"{q[k]:.3f} vs {g[k]:.3f}" for k in QUALITY_KEYS),
                       "none below gensim by more than gensim's seed range ("
                       + " / ".join(f"{g_range[k]:.3f}" for k in QUALITY_KEYS) + ")", ok)
        else:
            ok = (q["ws353"] >= g["ws353"] - WS_SL_MARGIN and q["simlex"] >= g["simlex"] - WS_SL_MARGIN
                  and q["analogy"] >= ANALOGY_SHARE * g["analogy"])
            sec.target(f"{label}: analogy / WS353 / SimLex vs gensim (mean of {n})",
                       " / ".join(f"{q[k]:.3f} vs {g[k]:.3f}" for k in QUALITY_KEYS),
                       f"WS353, SimLex >= gensim - {WS_SL_MARGIN}; analogy >= {ANALOGY_SHARE}x gensim", ok)
        sec.target(f"{label}: words/s vs gensim (workers=2)", f"{wps[label] / wps[ref]:.2f}x "
                   f"({fmt(wps[label])} vs {fmt(wps[ref])})", "reported", None)
    if not gpu:  # the GPU rows are section 5's (bench/gpu.py), measured where a GPU is lent
        sec.record("gpu", status="no GPU on this machine: see the gpu section (bench/results/gpu.json)")
    sec.record("summary", table=table)
    return sec.result(summary={"table": table, "gensim_seed_range": g_range, "raw_words": raw_words,
                               "epochs": epochs, "gpu": gpu})


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    from .common import write_result
    ap = argparse.ArgumentParser(prog="python -m bench.backends", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, action="append", help="seed(s) to run (default 1, 2, 3)")
    ap.add_argument("--merge", nargs="+", type=Path, help="combine these results files instead of running")
    ap.add_argument("--out", type=Path, required=True, help="results file to write")
    a = ap.parse_args(argv)
    if a.merge:
        result = merge([json.loads(p.read_text(encoding="utf-8")) for p in a.merge])
    else:
        result = run(seeds=tuple(a.seed or (1, 2, 3)))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_result(result, a.out.parent)
    if tmp != a.out:
        tmp.replace(a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
