"""Section 1a: training throughput and quality, ours vs gensim, same tokens, same settings.

    python -m bench --only throughput            # full: the sample, 3 alternating runs each
    from bench import throughput; throughput.run(corpus="x.txt", epochs=1, repeats=1)

Definition (the trainer's): words/s = raw corpus words x epochs / training seconds, where
training seconds include vocabulary building and pair generation but exclude tokenisation.
- ours: the corpus is scanned (tokenised) once, untimed for throughput; each run times
  prepare(scan, cfg) (vocabulary + ids) + train(prepared, cfg) (model construction, pairs,
  updates) around the calls, not RunResult.train_seconds (that is the loop alone).
- gensim: the same tokens (trainer.tokenizer.tokenize per line, empty lines skipped) as an
  in-memory list; each run times Word2Vec(sentences, ...) including build_vocab.
Both are warmed up first on a small slice (TensorFlow import, kernel load, gensim's C code),
so the first measured run is not charged for one-time imports. Runs alternate
(ours, gensim, gensim, ours, ...) with seeds 1..repeats (5 by default: a run on the sample
lasts under a second, so 3 would leave the median at the mercy of the shared machine); we
report the median words/s and its min..max, the run-paired ratios, and quality as the mean
over seeds. "No worse" quality: ours' mean >= gensim's mean - 2 standard errors of the
difference of the two means (the seed-to-seed noise of both).
"""
from __future__ import annotations

import time
from pathlib import Path

from .common import (
    QUALITY_KEYS,
    SAMPLE,
    Section,
    diff_se,
    fmt,
    keyed_vectors,
    mean_quality,
    quality,
    spread,
    tokenized_lines,
)

PRESET = "word2vec defaults"


def gensim_kwargs(cfg, workers: int, seed: int) -> dict:
    """gensim Word2Vec arguments equal to a TrainConfig (skip-gram, negative sampling)."""
    return dict(vector_size=cfg.dim, window=cfg.window, negative=cfg.negative, ns_exponent=cfg.ns_exponent,
                epochs=cfg.epochs, min_count=cfg.min_count, max_final_vocab=cfg.max_vocab, sample=cfg.sample,
                sg=0 if cfg.cbow else 1, hs=0, alpha=cfg.lr, min_alpha=cfg.min_lr, workers=workers, seed=seed)


def run_ours(scan, cfg) -> tuple[float, object]:
    from trainer import prepare, train
    t0 = time.perf_counter()
    result = train(prepare(scan, cfg), cfg)
    return time.perf_counter() - t0, result


def run_gensim(sentences, cfg, workers: int, seed: int) -> tuple[float, object]:
    from gensim.models import Word2Vec
    t0 = time.perf_counter()
    model = Word2Vec(sentences, **gensim_kwargs(cfg, workers, seed))
    return time.perf_counter() - t0, model


def warm_up(scan_small, sentences_small, cfg, workers: int) -> None:
    run_ours(scan_small, cfg.replace(epochs=1))
    run_gensim(sentences_small, cfg.replace(epochs=1), workers, seed=1)


def run(corpus: Path | str = SAMPLE, repeats: int = 5, epochs: int | None = None, workers: int = 2,
        backend: str | None = None, name: str = "throughput", emit="default", target_ratio: float = 1.0,
        device_label: str | None = None) -> dict:
    """Measure and return the section dict (see module docstring).

    backend: the trainer backend for ours; None = the CPU path ("auto" without a GPU,
    "native" when a GPU is visible, so this section always measures the CPU).
    """
    from trainer import TextSource, preset, scan_corpus
    sec = Section(name) if emit == "default" else Section(name, emit)
    corpus = Path(corpus)
    if backend is None:
        backend = "native" if _gpu_visible() else "auto"
    cfg = preset(PRESET, backend=backend, **({"epochs": epochs} if epochs else {}))

    t0 = time.perf_counter()
    scan = scan_corpus([TextSource.from_path(corpus)])
    scan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sentences = tokenized_lines(corpus)
    tok_s = time.perf_counter() - t0
    raw_words = scan.stats.tokens
    assert raw_words == sum(map(len, sentences)), "ours and gensim must see the same tokens"
    sec.record("corpus", path=corpus.name, raw_words=raw_words, sentences=len(sentences),
               ours_tokenise_s=scan_s, gensim_tokenise_s=tok_s, preset=PRESET, config=cfg.to_dict(),
               gensim_workers=workers, note="tokenisation is excluded from words/s for both")

    small = max(1, len(sentences) // 20)
    small_scan = scan_corpus([TextSource.from_text("\n".join(" ".join(s) for s in sentences[:small]))])
    warm_up(small_scan, sentences[:small], cfg, workers)

    runs: dict[str, list[dict]] = {"ours": [], "gensim": []}
    for rep in range(repeats):
        seed = rep + 1
        order = ("ours", "gensim") if rep % 2 == 0 else ("gensim", "ours")
        for who in order:
            if who == "ours":
                secs, res = run_ours(scan, cfg.replace(seed=seed))
                words, vectors, extra = res.words, res.vectors, {"backend": res.backend,
                                                                 "loop_s": res.train_seconds}
            else:
                secs, model = run_gensim(sentences, cfg, workers, seed)
                words, vectors, extra = list(model.wv.index_to_key), model.wv.vectors, {}
            q = quality(keyed_vectors(words, vectors))
            rec = sec.record(who, run=rep + 1, seed=seed, seconds=secs,
                             words_per_s=raw_words * cfg.epochs / secs, vocab=len(words), **q, **extra)
            runs[who].append(rec)

    wps = {k: spread(r["words_per_s"] for r in v) for k, v in runs.items()}
    paired = [o["words_per_s"] / g["words_per_s"] for o, g in zip(runs["ours"], runs["gensim"])]
    ratio = wps["ours"]["median"] / wps["gensim"]["median"]
    qual = {k: mean_quality(v) for k, v in runs.items()}
    qspread = {k: {q: max(r[q] for r in v) - min(r[q] for r in v) for q in QUALITY_KEYS} for k, v in runs.items()}
    qse = {q: diff_se([r[q] for r in runs["ours"]], [r[q] for r in runs["gensim"]]) for q in QUALITY_KEYS}
    backend_used = runs["ours"][0]["backend"]
    sec.record("summary", ours_words_per_s=wps["ours"], gensim_words_per_s=wps["gensim"],
               ratio_of_medians=ratio, paired_ratios=paired, quality_mean=qual, quality_seed_range=qspread,
               backend=backend_used, epochs=cfg.epochs, repeats=repeats)

    where = device_label or ("GPU" if "gpu" in backend_used else f"CPU ({backend_used})")
    sec.target(f"ours/gensim(workers={workers}) words/s, {where}", f"{ratio:.2f}x (paired runs "
               f"{fmt(min(paired))}-{fmt(max(paired))})", f">= {target_ratio:g}", ratio >= target_ratio)
    for q in QUALITY_KEYS:
        o, g = qual["ours"][q], qual["gensim"][q]
        sec.target(f"quality {q}: ours vs gensim (mean of {repeats} seeds)", f"{o:.3f} vs {g:.3f}",
                   f">= gensim - 2 SE of the difference ({2 * qse[q]:.3f})", o >= g - 2 * qse[q])
    sec.note(f"quality is on Shakespeare: analogy covers {runs['ours'][0]['analogy_questions']} questions, "
             f"WordSim353 misses {runs['ours'][0]['ws353_oov_pct']:.0f}% of pairs, SimLex "
             f"{runs['ours'][0]['simlex_oov_pct']:.0f}%; small, noisy tests: read them as a sanity check.")
    return sec.result(summary={"ratio": ratio, "paired_ratios": paired, "words_per_s": wps, "quality": qual,
                               "backend": backend_used, "raw_words": raw_words, "epochs": cfg.epochs})


def _gpu_visible() -> bool:
    import tensorflow as tf
    return bool(tf.config.list_physical_devices("GPU"))
