"""The training loop: corpus -> vocabulary -> pairs -> model updates -> RunResult.

    from trainer import train, preset, TextSource
    result = train(["sample_data/shakespeare.txt"], preset("quick demo"),
                   on_event=print, cancel=None)
    result.vectors.shape, result.partial

`prepare()` does the checks and the corpus scan up front, so every config or
input error is raised before any training starts; pass its result to train()
to reuse it (the app scans an upload once and trains several times).
Big corpora are scanned on all cores and kept on disk (trainer.corpus_store):
call Prepared.close() (or CorpusScan.close()) when a run is deleted to remove
the temp files at once; otherwise they go when collected or at exit. A cancel
during the scan, or before the first training step, raises TrainingCancelled.
A Prepared serves every config with the same text and vocabulary settings
(Prepared.matches), so the app encodes an upload once and trains it with many
epoch / learning-rate / model settings.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import ConfigError, TrainConfig
from .corpus import CorpusError, CorpusScan, EncodedCorpus, TextSource, scan_corpus
from .events import CancelToken, EventCallback, TrainEvent, TrainingCancelled
from .pairs import PairPipeline, default_producers
from .result import RunResult
from .vocab import Vocabulary, keep_probabilities


@dataclass
class Prepared:
    """A scanned corpus with the vocabulary and ids. It depends only on the text and vocabulary settings
    (PREPARED_FIELDS), so one Prepared serves every config that `matches` it: changing epochs, the learning
    rate or the model never re-encodes the corpus. The estimates take the config they are for."""
    scan: CorpusScan
    vocab: Vocabulary
    corpus: EncodedCorpus
    config: TrainConfig  # the config it was prepared with (its PREPARED_FIELDS are what matter)

    def matches(self, cfg: TrainConfig) -> bool:
        """True when cfg's text and vocabulary settings are the ones this corpus was prepared with."""
        return all(getattr(cfg, f) == getattr(self.config, f) for f in PREPARED_FIELDS)

    def keep_rate(self, cfg: TrainConfig | None = None) -> float:
        """Expected share of training tokens surviving subsampling."""
        keep = keep_probabilities(self.vocab.counts, (cfg or self.config).sample)
        return float((keep * self.vocab.counts).sum() / max(self.vocab.counts.sum(), 1))

    def examples_per_epoch(self, cfg: TrainConfig | None = None) -> int:
        """Estimated training examples (skip-gram pairs, or CBOW centre words) per epoch."""
        cfg = cfg or self.config
        kept = self.corpus.n_tokens * self.keep_rate(cfg)
        return int(kept if cfg.cbow else kept * (cfg.window + 1))

    def close(self) -> None:
        """Remove the scan's and the encoded corpus's temp files (big corpora only)."""
        self.corpus.close()
        self.scan.close()

    def summary(self, cfg: TrainConfig | None = None) -> dict:
        s = self.scan.stats
        return {**s.to_dict(), "vocab_size": len(self.vocab), "training_tokens": self.corpus.n_tokens,
                "coverage": self.corpus.n_tokens / max(s.tokens, 1), "keep_rate": self.keep_rate(cfg),
                "examples_per_epoch": self.examples_per_epoch(cfg)}


# The settings a Prepared depends on: how text becomes tokens, and which tokens are vocabulary.
PREPARED_FIELDS = ("lowercase", "strip_punctuation", "max_sentence_len", "min_count", "max_vocab")
# With report_every left at its default, the loop spaces progress events so that a run draws about this
# many loss points (and at least one per step for tiny runs): a smooth curve without flooding the caller.
TARGET_LOSS_POINTS = 300


def report_interval(cfg: TrainConfig, expected_steps: float) -> int:
    """Steps between progress events: cfg.report_every when set, else chosen from the expected steps."""
    if cfg.report_every != TrainConfig.report_every:  # set explicitly: the caller knows what it wants
        return cfg.report_every
    return int(max(1, min(cfg.report_every, expected_steps // TARGET_LOSS_POINTS)))


def first_report_step(cfg: TrainConfig, report_every: int) -> int:
    """The step of the first progress event. With the interval left to the trainer, the very first step
    reports: a watcher (the app's loss curve) gets a point at once instead of after report_every steps
    (up to 10 big batches, seconds on a large corpus). An explicit report_every is kept as asked."""
    return 1 if cfg.report_every == TrainConfig.report_every else report_every


def _sources(data) -> list[TextSource]:
    items = [data] if isinstance(data, (str, os.PathLike, TextSource)) else list(data)
    return [d if isinstance(d, TextSource) else TextSource.from_path(d) for d in items]


def prepare(data, cfg: TrainConfig, progress: Callable[[float, str], None] | None = None,
            cancel: CancelToken | None = None, spill_dir: str | os.PathLike | None = None) -> Prepared:
    """Validate cfg, scan the text (unless given a matching scan), build the vocabulary.

    progress(fraction, message) reports the scan; cancel stops it (TrainingCancelled);
    spill_dir is where a big corpus's temp files go (e.g. the session's temp dir).
    Given a Prepared that `matches(cfg)`, returns it unchanged (nothing is scanned or encoded again).
    """
    cfg.validate()
    if isinstance(data, Prepared):
        if data.matches(cfg):
            _check_vocab_size(data.scan, data.vocab, cfg)
            return data
        data = data.scan
    same_text = isinstance(data, CorpusScan) and (data.lowercase, data.strip_punctuation, data.max_sentence_len) == (
        cfg.lowercase, cfg.strip_punctuation, cfg.max_sentence_len)
    if isinstance(data, CorpusScan) and not same_text:
        raise ConfigError("the corpus was scanned with other text settings (lowercase, strip_punctuation, "
                          "max_sentence_len); scan it again with these")
    scan = data if same_text else scan_corpus(_sources(data), cfg.lowercase, cfg.strip_punctuation,
                                               cfg.max_sentence_len, progress, cancel=cancel, spill_dir=spill_dir)
    if scan.stats.tokens == 0:
        raise CorpusError("the text contains no words" + (" (only punctuation?)" if cfg.strip_punctuation else ""))
    vocab = scan.vocabulary(cfg.min_count, cfg.max_vocab)
    _check_vocab_size(scan, vocab, cfg)
    if cancel is not None and cancel.cancelled:
        raise TrainingCancelled("stopped before training started")
    corpus = scan.encode(vocab)
    if corpus.n_sentences == 0 or corpus.max_sentence_length() < 2:
        raise CorpusError("after dropping rare words no line has two words left, so there are no word pairs "
                          f"to learn from; lower min_count (now {cfg.min_count}) or add more text")
    return Prepared(scan=scan, vocab=vocab, corpus=corpus, config=cfg)


def _check_vocab_size(scan: CorpusScan, vocab: Vocabulary, cfg: TrainConfig) -> None:
    if len(vocab) < cfg.negative + 1:
        top = int(scan.type_counts.max()) if scan.type_counts.size else 0
        raise ConfigError(
            f"the vocabulary has {len(vocab)} word(s) at min_count={cfg.min_count}"
            + (f", max_vocab={cfg.max_vocab}" if cfg.max_vocab else "")
            + f"; negative sampling with negative={cfg.negative} needs at least {cfg.negative + 1}. "
            f"Lower min_count (the most frequent word appears {top} times) or negative, or add more text.")


def learning_rate(cfg: TrainConfig, progress: float) -> float:
    """word2vec's linear decay from lr to min_lr (SGD); constant for Adam.

    progress: 0..1 over all epochs, on the clock LR_CLOCK names (see lr_progress)."""
    if cfg.optimizer == "adam":
        return cfg.lr
    return max(cfg.min_lr, cfg.lr - (cfg.lr - cfg.min_lr) * min(max(progress, 0.0), 1.0))


# What the linear learning-rate decay counts: "sentences" (lines) trained, as gensim does (its Word2Vec decays by
# examples whenever it knows the sentence count, and its constructor always does), or "words", as word2vec.c
# does. The two differ when lines differ in length. Measured on head500 with `python -m bench.tf_sweep --set
# loop.LR_CLOCK=...` (native kernel, one thread, seeds 1-20 paired; bench/results/native_parity.jsonl): the
# sentence clock gained +0.20 points of analogy, +0.007 WordSim353 and +0.002 SimLex over the word clock.
LR_CLOCK = "sentences"


def lr_progress(batch, corpus: EncodedCorpus, epochs: int, end: bool = False) -> float:
    """Where the learning-rate schedule stands at the start (or end) of a batch, 0..1 over all epochs."""
    if LR_CLOCK == "words":
        return (batch.word_end if end else batch.word_start) / max(epochs * corpus.n_tokens, 1)
    return (batch.sentence_end if end else batch.sentence_start) / max(epochs * corpus.n_sentences, 1)


def train(data, cfg: TrainConfig, on_event: EventCallback | None = None, cancel: CancelToken | None = None,
          progress: Callable[[float, str], None] | None = None) -> RunResult:
    """Train and return a RunResult; a cancel returns the model so far, partial=True.

    A cancel before the first training step (e.g. during the scan) raises TrainingCancelled.
    """
    prep = prepare(data, cfg, progress, cancel)  # a Prepared that matches cfg comes back as it is
    owned = prep is not data
    try:
        return _train(prep, cfg, on_event, cancel)
    finally:
        if owned:  # what was made here goes now, not at exit: the encoded ids, and the scan unless it was given
            prep.corpus.close()
            if not isinstance(data, (Prepared, CorpusScan)):
                prep.scan.close()


# The native kernel's calls on a small text: at least this many per epoch (each can report a loss point), each of at
# least MIN_NATIVE_CALL pairs. Big texts use the model's batch (trainer.model.NATIVE_BATCH).
NATIVE_CALLS_PER_EPOCH = 16
MIN_NATIVE_CALL = 4096
# Probe neighbours (a copy of the whole input matrix, its row norms, one product per probe) at most this often:
# with sub-second epochs (the quick demo) every epoch's would cost a few % of training and the app shows only
# the newest anyway. The last epoch always reports them.
PROBE_MIN_SECONDS = 0.5
RELEASE_EVERY = 1 << 22  # tokens between dropping a mapped corpus's pages from RSS (16 MB of ids)


def pair_pipeline(prep: Prepared, cfg: TrainConfig, model) -> tuple[PairPipeline, int]:
    """The pair pipeline sized for this model, and the examples per chunk it aims at.

    Fixed-shape (padded) TF steps waste the padding of each chunk's last batch: they get several
    batches per chunk. The native kernel takes any length, one chunk per call; a small text still
    gets several calls (loss points) per epoch."""
    per_token = max(prep.keep_rate(cfg) * (1 if cfg.cbow else cfg.window + 1), 1e-3)
    per_chunk = model.batch_size * (1 if model.name == "native" else 4)
    if model.name == "native" and not cfg.batch_size:
        per_chunk = min(per_chunk, max(MIN_NATIVE_CALL, prep.examples_per_epoch(cfg) // NATIVE_CALLS_PER_EPOCH))
    pipe = PairPipeline(prep.corpus, prep.vocab.counts, cfg, chunk_tokens=max(64, int(per_chunk / per_token)),
                        negatives_group=model.negatives_group)
    return pipe, per_chunk


def _train(prep: Prepared, cfg: TrainConfig, on_event: EventCallback | None, cancel: CancelToken | None) -> RunResult:
    from .backend import choose_backend
    from .distributed import make_mirrored_model
    from .model import make_model
    from .probes import probe_neighbours, resolve_probes

    if cancel is not None and cancel.cancelled:
        raise TrainingCancelled("stopped before training started")
    emit = on_event or (lambda ev: None)
    vocab, corpus = prep.vocab, prep.corpus
    choice = choose_backend(cfg)  # the one decision: the model and the start event share it
    model = make_mirrored_model(len(vocab), cfg) or make_model(len(vocab), cfg, choice)
    pipe, per_chunk = pair_pipeline(prep, cfg, model)
    corpus.release_pages()  # the chunk search read all sentence offsets
    total_words = cfg.epochs * corpus.n_tokens
    raw_per_word = prep.scan.stats.tokens / corpus.n_tokens  # report throughput in raw corpus words
    summary = prep.summary(cfg)
    steps_per_epoch = prep.examples_per_epoch(cfg) / (per_chunk if model.name == "native" else model.batch_size)
    report_every = report_interval(cfg, steps_per_epoch * cfg.epochs)
    first_report = first_report_step(cfg, report_every)
    probe_rows, probe_missing = resolve_probes(vocab, cfg)
    producers = default_producers(cfg.producers)
    emit(TrainEvent("start", info={**summary, "backend": model.name, "probe_missing": probe_missing,
                                   "producers": producers, "kernel_threads": getattr(model, "threads", None)},
                    backend=choice))

    history: list[dict] = []
    epoch_losses: list[float] = []
    step, done_words, partial, released, lr_used = 0, 0, False, 0, learning_rate(cfg, 0.0)
    win_loss, win_n, ep_loss, ep_n = 0.0, 0, 0.0, 0
    t0 = time.perf_counter()
    probed_at = -float("inf")

    def event(kind: str, epoch: int, **kw) -> TrainEvent:
        elapsed = time.perf_counter() - t0
        frac = done_words / total_words
        wps = done_words * raw_per_word / elapsed if elapsed > 0 else 0.0
        # The first steps carry start-up costs (compilation, caches): no estimate before 2 %.
        eta = elapsed * (1 - frac) / frac if frac >= 0.02 else float("nan")
        return TrainEvent(kind, epoch=epoch, step=step, progress=frac, words_per_sec=wps, eta_s=eta,
                          lr=lr_used if model.decays_lr else cfg.lr, elapsed_s=elapsed, **kw)

    with pipe.prefetch(cfg.epochs, workers=producers) as batches:
        for b in batches:
            if cancel is not None and cancel.cancelled:
                if step == 0:
                    raise TrainingCancelled("stopped before the first training step")
                partial = True
                break
            lr_used = learning_rate(cfg, lr_progress(b, corpus, cfg.epochs, end=True))
            # loss_sum may be a device scalar (TF backends): adding it keeps the device busy; float() reads it
            # only when a point is reported, so the host does not wait for the device after every step.
            loss_sum, n = model.step(b, learning_rate(cfg, lr_progress(b, corpus, cfg.epochs)), lr_used)
            step += 1
            done_words = b.word_end
            if corpus.on_disk and done_words - released >= RELEASE_EVERY:
                corpus.release_pages()  # mapped pages already trained on would otherwise pile up in RSS
                released = done_words
            win_loss, win_n, ep_loss, ep_n = win_loss + loss_sum, win_n + n, ep_loss + loss_sum, ep_n + n
            if (step % report_every == 0 or step == first_report) and win_n:
                ev = event("progress", b.epoch, loss=float(win_loss) / win_n)
                history.append({"progress": ev.progress, "loss": ev.loss, "words_per_sec": ev.words_per_sec,
                                "epoch": b.epoch, "lr": ev.lr, "elapsed_s": ev.elapsed_s})
                emit(ev)
                win_loss, win_n = 0.0, 0
            if b.word_end == (b.epoch + 1) * corpus.n_tokens:  # last chunk of this epoch
                epoch_losses.append(float(ep_loss) / max(ep_n, 1))
                snap = model.input_vectors(cfg.snapshot_top) if cfg.snapshot_top else None
                probes = None
                last_epoch = b.epoch + 1 == cfg.epochs
                if probe_rows and (last_epoch or time.perf_counter() - probed_at >= PROBE_MIN_SECONDS):
                    probes = probe_neighbours(model.input_vectors(), probe_rows, vocab.words)
                    probed_at = time.perf_counter()
                emit(event("epoch_end", b.epoch, loss=epoch_losses[-1], snapshot=snap, probes=probes))
                ep_loss, ep_n = 0.0, 0
    if cancel is not None and cancel.cancelled and done_words < total_words:
        partial = True
    seconds = time.perf_counter() - t0
    result = RunResult(
        words=list(vocab.words), counts=vocab.counts.copy(), vectors=model.input_vectors(), config=cfg,
        output_vectors=model.output_vectors() if cfg.keep_output_vectors else None,
        loss_history=history, epoch_losses=epoch_losses, corpus_stats=summary, partial=partial,
        epochs_completed=done_words / corpus.n_tokens, train_seconds=seconds, backend=model.name)
    emit(event("done", len(epoch_losses), loss=epoch_losses[-1] if epoch_losses else float("nan"), partial=partial))
    return result
