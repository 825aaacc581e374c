"""The GPU rows of issues 9 and 13, run on a machine with a GPU (the `device` tool lends one at times).

    python -m bench.gpu_device --out /tmp/gpu.json                 # all parts, one JSON file
    python -m bench.gpu_device --part mirrored --out /tmp/m.json   # 2 logical GPUs on one physical GPU
    python -m bench.gpu_device --part breakdown --out /tmp/b.json  # producers / steps / whole run, words/s

Parts (each in its own process: TensorFlow's logical-device split is process-wide):
- quality: gensim's head500.noblanks.cor (331k words, same tokens for both), "word2vec defaults",
  seeds 1-3: gensim Word2Vec(sg=1, workers=2) on this host's CPU against ours with the TF-ops path
  on the GPU at the CPU batch (8,192) and at the GPU batch (65,536). Quality by gensim's
  evaluators; words/s = raw words x epochs / (prepare + train seconds).
- speed: a 5M-word corpus built from the sample (bench.scale.build_corpora, fixed seed), 1 epoch,
  ours backend="auto" (which picks the GPU) against gensim workers=2 on the same host, 3 repeats.
  The issue's target is >= 10x gensim(workers=2) of the 2-core CI machine; the same-run ratio here
  is against gensim on this host's CPU, whose 2 workers may be faster or slower than CI's.
- breakdown: where the time goes, on the speed part's corpus (1 epoch, backend "auto"): the pair
  producers alone at 1, 2, 4 and 8 threads (batches made, nothing trained); the model's steps alone on
  batches made in advance (one read of the loss at the end, as the loop reads it only to report); and
  the whole run at 1 producer and at the default count. Runs on a CPU too (there "auto" is the kernel).
- mirrored: the GPU split into 2 logical GPUs, so train() takes trainer.distributed's
  MirroredStrategy path on real GPU kernels: loss per epoch, quality on head500 (seed 1), words/s.
Every line printed is one JSON record; --out gets the whole list.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, SAMPLE, keyed_vectors, machine_info, quality

PRESET = "word2vec defaults"


def _emit(records: list[dict], **rec) -> dict:
    records.append(rec)
    print(json.dumps(rec), flush=True)
    return rec


def _gpu_info(tf) -> list[dict]:
    return [{"name": d.name, **{k: str(v) for k, v in tf.config.experimental.get_device_details(d).items()}}
            for d in tf.config.list_physical_devices("GPU")]


def part_quality(records: list[dict], seeds=(1, 2, 3)) -> None:
    from trainer import TextSource, preset, scan_corpus
    from trainer.model import TFModel

    from .backends import MAX_SENTENCE, _train_gensim, _train_ours, default_corpus
    path = default_corpus()
    cfg = preset(PRESET, lowercase=False, strip_punctuation=False, max_sentence_len=MAX_SENTENCE)
    scan = scan_corpus([TextSource.from_path(path)], False, False, MAX_SENTENCE)
    raw = scan.stats.tokens
    vocab = len(scan.vocabulary(cfg.min_count, cfg.max_vocab))
    rows = [("gensim (workers=2, host CPU)", None)] + [
        (f"tf on GPU, batch {b:,}", dict(backend="tf", batch_size=b))
        for b in (TFModel.default_batch_size(vocab, on_gpu=False), TFModel.default_batch_size(vocab, on_gpu=True))]
    _train_ours(scan, cfg.replace(epochs=1, backend="tf"))  # warm-up: kernels loaded / JIT-compiled once
    for seed in seeds:
        for label, changes in rows:
            if changes is None:
                secs, model = _train_gensim(path, cfg, seed)
                words, vectors, backend = list(model.wv.index_to_key), model.wv.vectors, "gensim"
            else:
                secs, res = _train_ours(scan, cfg.replace(seed=seed, **changes))
                words, vectors, backend = res.words, res.vectors, res.backend
            _emit(records, part="quality", contender=label, seed=seed, seconds=secs, backend=backend,
                  words_per_s=raw * cfg.epochs / secs, **quality(keyed_vectors(words, vectors)))


def part_speed(records: list[dict], words: int = 5_000_000, repeats: int = 3) -> None:
    from trainer import TextSource, preset, scan_corpus

    from .scale import build_corpora
    from .throughput import run_gensim, run_ours
    with tempfile.TemporaryDirectory() as tmp:
        c = build_corpora(SAMPLE, [words], tmp)[0]
        cfg = preset(PRESET, epochs=1, backend="auto")
        scan = scan_corpus([TextSource.from_path(c["raw"])])
        with open(c["tok"], encoding="utf-8") as f:
            sentences = [ln.split() for ln in f]
        raw = scan.stats.tokens
        run_ours(scan, cfg.replace(epochs=1))  # warm-up
        for rep in range(repeats):
            secs, res = run_ours(scan, cfg.replace(seed=rep + 1))
            _emit(records, part="speed", contender="ours", backend=res.backend, run=rep + 1, words=raw,
                  seconds=secs, loop_s=res.train_seconds, words_per_s=raw / secs)
            secs, _ = run_gensim(sentences, cfg, 2, rep + 1)
            _emit(records, part="speed", contender="gensim (workers=2, host CPU)", run=rep + 1, words=raw,
                  seconds=secs, words_per_s=raw / secs)


def part_breakdown(records: list[dict], words: int = 5_000_000, step_tokens: int = 1_500_000) -> None:
    from trainer import TextSource, prepare, preset, scan_corpus, train
    from trainer.backend import usable_cores
    from trainer.loop import pair_pipeline
    from trainer.model import make_model
    from trainer.pairs import default_producers

    from .scale import build_corpora
    with tempfile.TemporaryDirectory() as tmp:
        c = build_corpora(SAMPLE, [words], tmp)[0]
        cfg = preset(PRESET, epochs=1, backend="auto")
        prep = prepare(scan_corpus([TextSource.from_path(c["raw"])]), cfg)
    corpus, raw = prep.corpus, prep.scan.stats.tokens
    model = make_model(len(prep.vocab), cfg)
    pipe, _ = pair_pipeline(prep, cfg, model)  # chunks as the training loop makes them
    for workers in sorted({1, 2, 4, 8} & set(range(1, usable_cores() + 1))):
        t0 = time.perf_counter()
        with pipe.prefetch(1, workers=workers) as batches:
            pairs = sum(len(b) for b in batches)
        secs = time.perf_counter() - t0
        _emit(records, part="breakdown", stage="producers alone", producers=workers, pairs=pairs,
              seconds=secs, words_per_s=raw / secs)
    batches, tokens = [], 0
    for b in pipe.epoch(0):
        batches.append(b)
        tokens += b.word_end - b.word_start
        if tokens >= step_tokens:
            break
    float(model.step(batches[0], cfg.lr, cfg.lr)[0])  # compile / warm up
    t0 = time.perf_counter()
    total = sum(model.step(b, cfg.lr, cfg.lr)[0] for b in batches[1:])
    float(total)  # wait for the device
    secs = time.perf_counter() - t0
    tokens -= batches[0].word_end - batches[0].word_start
    _emit(records, part="breakdown", stage="steps alone", backend=model.name, batch_size=model.batch_size,
          seconds=secs, words_per_s=tokens * raw / corpus.n_tokens / secs)
    for producers in (1, default_producers()):
        t0 = time.perf_counter()
        res = train(prep, cfg.replace(producers=producers))
        secs = time.perf_counter() - t0
        _emit(records, part="breakdown", stage="whole run", backend=res.backend, producers=producers,
              seconds=secs, words_per_s=raw / secs)


def part_mirrored(records: list[dict]) -> None:
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    tf.config.set_logical_device_configuration(
        gpus[0], [tf.config.LogicalDeviceConfiguration(memory_limit=8192)] * 2)
    from trainer import TextSource, prepare, preset, scan_corpus, train

    from .backends import MAX_SENTENCE, default_corpus
    path = default_corpus()
    cfg = preset(PRESET, lowercase=False, strip_punctuation=False, max_sentence_len=MAX_SENTENCE, backend="tf")
    scan = scan_corpus([TextSource.from_path(path)], False, False, MAX_SENTENCE)
    losses: list[float] = []

    def on_event(ev):
        if ev.kind == "epoch_end":
            losses.append(float(ev.loss))
    t0 = time.perf_counter()
    res = train(prepare(scan, cfg), cfg, on_event=on_event)
    secs = time.perf_counter() - t0
    _emit(records, part="mirrored", devices=[d.name for d in tf.config.list_logical_devices("GPU")],
          backend=res.backend, epoch_losses=losses, seconds=secs,
          words_per_s=scan.stats.tokens * cfg.epochs / secs, **quality(keyed_vectors(res.words, res.vectors)))


PARTS = {"quality": part_quality, "speed": part_speed, "breakdown": part_breakdown, "mirrored": part_mirrored}


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m bench.gpu_device", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=sorted(PARTS), action="append", help="default: all, each in a child process")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    records: list[dict] = []
    if args.part and len(args.part) == 1:
        import tensorflow as tf
        if args.part[0] != "mirrored":
            _emit(records, part="machine", **machine_info(), gpus=_gpu_info(tf))
        PARTS[args.part[0]](records)
    else:
        for name in args.part or list(PARTS):
            child = args.out.with_suffix(f".{name}.json")
            rc = subprocess.call([sys.executable, "-m", "bench.gpu_device", "--part", name, "--out", str(child)],
                                 cwd=ROOT)
            records += json.loads(child.read_text()) if child.exists() else []
            if rc:
                _emit(records, part=name, error=f"child exited {rc}")
    args.out.write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
