"""Quality sweep for one training setting: seeds x (our backend, batch) on head500, one JSON line per run.

    python -m bench.tf_sweep --backend tf --batch 8192 --seeds 1 2 3 --set ADAGRAD_SCALE=3 --out /tmp/a.jsonl
    python -m bench.tf_sweep --backend gensim --seeds 1 2 3 4 5 --out /tmp/g.jsonl
    python -m bench.tf_sweep --summary /tmp/*.jsonl          # mean of seeds per (label)

A research tool for issue 9 (items 3 and 4), not the benchmark: `--set NAME=VALUE` overrides a
module constant of trainer.model (e.g. ADAGRAD_SCALE, ADAGRAD_INIT, LR_DECAY) before training, so
candidate updates can be compared on the same tokens and seeds as bench/backends.py uses (its
corpus, preset and gensim arguments). Quality: gensim's evaluators (bench.common.quality).
"""
from __future__ import annotations

import argparse
import ast
import json
import time
from pathlib import Path

from .backends import MAX_SENTENCE, PRESET, _train_ours, default_corpus
from .common import QUALITY_KEYS, keyed_vectors, quality


def _apply_overrides(pairs: list[str]) -> dict:
    import trainer.model as model
    done = {}
    for item in pairs:
        name, _, raw = item.partition("=")
        if not hasattr(model, name):
            raise SystemExit(f"trainer.model has no constant {name!r}")
        value = ast.literal_eval(raw)
        setattr(model, name, value)
        done[name] = value
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


def summary(paths: list[Path]) -> None:
    groups: dict[str, list[dict]] = {}
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            groups.setdefault(f"{rec['corpus']} | {rec['label']}", []).append(rec)
    for key, recs in sorted(groups.items()):
        means = {k: sum(r[k] for r in recs) / len(recs) for k in QUALITY_KEYS}
        print(f"{key:60s} n={len(recs)} " + " ".join(f"{k}={means[k]:.4f}" for k in QUALITY_KEYS)
              + "  seeds=" + ",".join(str(r["seed"]) for r in recs))


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
    a = ap.parse_args(argv)
    if a.summary:
        summary(a.summary)
        return 0
    size = a.batch if a.backend == "tf" else f"workers={a.workers}" if a.backend == "gensim" else ""
    label = a.label or f"{a.backend} {size} {' '.join(a.overrides + a.cfg)}"
    run(a.backend, a.batch, a.seeds, a.overrides, a.corpus or default_corpus(), label.strip(), a.out, a.cfg,
        a.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
