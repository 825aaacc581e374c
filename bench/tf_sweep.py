"""Quality sweep for one training setting: seeds x (our backend, batch) on head500, one JSON line per run.

    python -m bench.tf_sweep --backend tf --batch 8192 --seeds 1 2 3 --set ADAGRAD_SCALE=3 --out /tmp/a.jsonl
    python -m bench.tf_sweep --backend gensim --seeds 1 2 3 4 5 --out /tmp/g.jsonl
    python -m bench.tf_sweep --summary /tmp/*.jsonl          # mean of seeds per (label)
    python -m bench.tf_sweep --backend native --set loop.LR_CLOCK="'words'" --label words --out /tmp/w.jsonl
    python -m bench.tf_sweep --summary /tmp/w.jsonl /tmp/s.jsonl --paired sentences words   # seed-paired differences

A research tool for issue 9 (items 3 and 4), not the benchmark: `--set NAME=VALUE` overrides a
module constant of trainer.model (e.g. ADAGRAD_SCALE, LR_DECAY; `--set loop.LR_CLOCK=...` one of
trainer.loop) before training, so
candidate updates can be compared on the same tokens and seeds as bench/backends.py uses (its
corpus, preset and gensim arguments). Quality: gensim's evaluators (bench.common.quality).
"""
from __future__ import annotations

import argparse
import ast
import json
import time
from collections.abc import Iterator
from pathlib import Path

from .backends import MAX_SENTENCE, PRESET, _train_ours, default_corpus
from .common import QUALITY_KEYS, keyed_vectors, quality


def _apply_overrides(pairs: list[str]) -> dict:
    """NAME=VALUE sets a constant of trainer.model; MODULE.NAME=VALUE one of trainer.MODULE (e.g. loop.LR_CLOCK)."""
    import importlib
    done = {}
    for item in pairs:
        target, _, raw = item.partition("=")
        mod_name, _, name = target.rpartition(".")
        module = importlib.import_module(f"trainer.{mod_name or 'model'}")
        if not hasattr(module, name):
            raise SystemExit(f"{module.__name__} has no constant {name!r}")
        value = ast.literal_eval(raw)
        setattr(module, name, value)
        done[target] = value
    return done


def _gensim(path: Path, cfg, seed: int, workers: int):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    from .throughput import gensim_kwargs
    return Word2Vec(LineSentence(str(path), max_sentence_length=MAX_SENTENCE), **gensim_kwargs(cfg, workers, seed))


def run(backend: str, batch: int, seeds: list[int], overrides: list[str], corpus: Path, label: str,
        out: Path, cfg_changes: list[str], workers: int = 2) -> None:
    from trainer import TextSource, preset, scan_corpus
    applied = _apply_overrides(overrides)
    changes = {k: ast.literal_eval(v) for k, _, v in (c.partition("=") for c in cfg_changes)}
    cfg = preset(PRESET, lowercase=False, strip_punctuation=False, max_sentence_len=MAX_SENTENCE, **changes)
    scan = scan_corpus([TextSource.from_path(corpus)], False, False, MAX_SENTENCE)
    for seed in seeds:
        t0 = time.perf_counter()
        if backend == "gensim":
            model = _gensim(corpus, cfg, seed, workers)
            words, vectors = list(model.wv.index_to_key), model.wv.vectors
        else:
            extra = dict(batch_size=batch) if backend == "tf" else {}
            _, res = _train_ours(scan, cfg.replace(seed=seed, backend=backend, **extra))
            words, vectors = res.words, res.vectors
        rec = dict(label=label, backend=backend, batch=batch, seed=seed, corpus=corpus.name,
                   overrides=applied, cfg=changes, seconds=round(time.perf_counter() - t0, 1),
                   **quality(keyed_vectors(words, vectors)))
        print(json.dumps(rec), flush=True)
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


def _records(paths: list[Path]) -> Iterator[dict]:
    """Every run record (one JSON object per line) of the given results files."""
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


def summary(paths: list[Path]) -> None:
    groups: dict[str, list[dict]] = {}
    for rec in _records(paths):
        groups.setdefault(f"{rec['corpus']} | {rec['label']}", []).append(rec)
    for key, recs in sorted(groups.items()):
        means = {k: sum(r[k] for r in recs) / len(recs) for k in QUALITY_KEYS}
        print(f"{key:60s} n={len(recs)} " + " ".join(f"{k}={means[k]:.4f}" for k in QUALITY_KEYS)
              + "  seeds=" + ",".join(str(r["seed"]) for r in recs))


def paired(paths: list[Path], a: str, b: str) -> None:
    """Mean and standard error over seeds of (label a - label b), seed by seed: the same seed gives both runs
    the same corpus order and initial vectors, so a small change of method shows through the seed noise."""
    import numpy as np
    runs: dict[str, dict[int, dict]] = {}
    for rec in _records(paths):
        runs.setdefault(rec["label"], {})[rec["seed"]] = rec
    seeds = sorted(set(runs[a]) & set(runs[b]))
    print(f"{a} - {b}, {len(seeds)} seeds paired:")
    for k in QUALITY_KEYS:
        d = np.array([runs[a][s][k] - runs[b][s][k] for s in seeds])
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        print(f"  {k:8s} {d.mean():+.4f} (SE {se:.4f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tf_sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("tf", "native", "gensim"), default="tf")
    ap.add_argument("--batch", type=int, default=8192)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="trainer.model CONST=value")
    ap.add_argument("--cfg", action="append", default=[], help="TrainConfig field=value")
    ap.add_argument("--workers", type=int, default=2, help="gensim's workers")
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--label", default=None)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--summary", nargs="+", type=Path)
    ap.add_argument("--paired", nargs=2, metavar=("LABEL_A", "LABEL_B"), help="with --summary: A - B per seed")
    a = ap.parse_args(argv)
    if a.summary:
        summary(a.summary)
        if a.paired:
            paired(a.summary, *a.paired)
        return 0
    size = a.batch if a.backend == "tf" else f"workers={a.workers}" if a.backend == "gensim" else ""
    label = a.label or f"{a.backend} {size} {' '.join(a.overrides + a.cfg)}"
    run(a.backend, a.batch, a.seeds, a.overrides, a.corpus or default_corpus(), label.strip(), a.out, a.cfg,
        a.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
