"""Command line: train word2vec on text files and write a run directory.

    python -m trainer sample_data/shakespeare.txt --out runs/shakespeare
    python -m trainer a.txt b.txt --out runs/ab --preset "quick demo" --dim 64 --epochs 3
    python -m trainer --help

DIR receives the run bundle (run.json, vocab.json, counts.npy, vectors.npy),
vectors.txt (word2vec text format, for gensim) and the Embedding Projector's
vectors.tsv / metadata.tsv. Ctrl-C stops early and still saves the model so far.

Exit codes: 0 done; 2 a user error (bad flag or value, missing/unreadable/binary/empty input, unwritable
--out), reported as ONE line "error: <sentence>" on stderr. Settings and input files are checked before
TensorFlow is imported, so a mistake is reported in well under a second.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

from .config import PRESETS, ConfigError, preset
from .events import CancelToken, TrainEvent
from .text_source import CorpusError, TextSource

logger = logging.getLogger(__name__)
USER_ERROR = 2  # argparse's own exit code for bad arguments

# (flag, TrainConfig field, type, help) — flags follow gensim's names where one exists.
FLAGS = [
    ("--dim", "dim", int, "size of each word vector (gensim: vector_size); 50-300 is typical"),
    ("--window", "window", int, "how many words left and right count as context (each word draws 1..window)"),
    ("--negative", "negative", int, "random 'noise' words contrasted with each real pair; 5-20 for small corpora"),
    ("--epochs", "epochs", int, "how many passes over the text"),
    ("--min-count", "min_count", int, "ignore words seen fewer times than this"),
    ("--max-vocab", "max_vocab", int, "keep only this many most frequent words"),
    ("--sample", "sample", float, "down-sample very frequent words (word2vec's t); 0 turns it off, 1e-3 default"),
    ("--lr", "lr", float, "starting learning rate (native: decays linearly to --min-lr; TF: kept, under AdaGrad)"),
    ("--min-lr", "min_lr", float, "learning rate at the end of training (SGD)"),
    ("--batch-size", "batch_size", int, "training examples per step; 0 picks a good size for the backend"),
    ("--seed", "seed", int, "random seed for initialisation, windows, subsampling and negatives"),
    ("--ns-exponent", "ns_exponent", float, "negatives follow count**this (0.75 in word2vec)"),
    ("--threads", "threads", int, "CPU threads for the native kernel; 0: every core not left to the pair producers"),
    ("--producers", "producers", int, "threads making word pairs beside the model; 0: one per 4 cores (at least 1)"),
    ("--optimizer", "optimizer", str, "sgd (word2vec) or adam (like the TensorFlow tutorial)"),
    ("--backend", "backend", str, "auto, native (compiled CPU kernel) or tf (TensorFlow ops, GPU capable)"),
    ("--max-sentence-len", "max_sentence_len", int, "longer lines are split into pieces of this many words"),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line like every other user error, not usage + error
        self.exit(USER_ERROR, f"error: {message} (see python -m trainer --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m trainer",
        description="Train word2vec (skip-gram or CBOW with negative sampling) on plain text files. "
                    "Each line is a sentence; text is lower-cased and punctuation stripped by default.",
        epilog="Presets: " + "; ".join(f"{k!r}: " + ", ".join(f"{a}={b}" for a, b in v.items())
                                       for k, v in PRESETS.items()))
    p.add_argument("corpus", nargs="+", help="one or more text files (UTF-8; cp1252/latin-1 detected)")
    p.add_argument("--out", required=True, help="output directory for the run (created if missing)")
    p.add_argument("--preset", default="word2vec defaults", choices=list(PRESETS),
                   help="starting settings; any flag below overrides them (default: %(default)s)")
    for flag, _, typ, text in FLAGS:
        p.add_argument(flag, type=typ, default=None, help=text)
    p.add_argument("--cbow", action="store_true", default=None, help="train CBOW instead of skip-gram")
    p.add_argument("--deterministic", action="store_true", default=None,
                   help="single-threaded, bit-identical vectors for the same input, settings and seed")
    p.add_argument("--keep-case", action="store_true", help="do not lower-case the text")
    p.add_argument("--keep-punctuation", action="store_true", help="split on whitespace only")
    p.add_argument("--binary", action="store_true", help="also write vectors.bin (word2vec binary format)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _fmt_eta(s: float) -> str:
    return "--:--" if not math.isfinite(s) else f"{int(s) // 60:02d}:{int(s) % 60:02d}"


def print_backend(ev: TrainEvent, stream=None) -> None:
    """On the start event: one line saying which engine trains, why, and what would make it faster."""
    if ev.kind == "start" and ev.backend is not None:
        print(ev.backend.describe(), file=stream or sys.stderr)


class ProgressBar:
    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self.last = stream, width, 0.0

    def __call__(self, ev: TrainEvent) -> None:
        now = time.monotonic()
        if ev.kind == "start":
            i = ev.info
            print(f"vocabulary {i['vocab_size']:,} words, {i['training_tokens']:,} training tokens, "
                  f"~{i['examples_per_epoch']:,} examples/epoch", file=self.stream)
            threads = f"{i['kernel_threads']} kernel + " if i.get("kernel_threads") else ""
            print(f"threads: {threads}{i.get('producers', 1)} making word pairs", file=self.stream)
            print_backend(ev, self.stream)
            return
        if ev.kind == "progress" and now - self.last < 0.2:
            return
        self.last = now
        filled = int(self.width * ev.progress)
        bar = "#" * filled + "-" * (self.width - filled)
        where = f"{ev.epoch} epochs" if ev.kind == "done" else f"epoch {ev.epoch + 1}"
        self.stream.write(f"\r[{bar}] {ev.progress:6.1%} {where} loss {ev.loss:.4f} "
                          f"{ev.words_per_sec:,.0f} words/s ETA {_fmt_eta(ev.eta_s)} ")
        if ev.kind == "done":
            self.stream.write("\n")
        self.stream.flush()


def _fail(problem: object) -> int:
    """Print a user error as one line on stderr and return the exit code."""
    if isinstance(problem, OSError) and problem.strerror:
        where = f"{problem.filename}: " if problem.filename else ""
        problem = f"{where}{problem.strerror.lower()}"
    line = " ".join(str(problem).split())
    logger.info("user error: %s", line)
    if _scan_width:  # wipe the scan's progress line, so the error stands alone on its line
        sys.stderr.write("\r" + " " * _scan_width + "\r")
    print(f"error: {line}", file=sys.stderr)
    return USER_ERROR


def _check_out(out: Path) -> Path:
    """The output directory, refused before training if it cannot be one."""
    if out.exists() and not out.is_dir():
        raise CorpusError(f"--out {out} is an existing file; give a directory for the run")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise CorpusError(f"--out {out} cannot be created: {parent} is not a writable directory")
    return out


def _scan_line(fraction: float, message: str) -> None:
    """Scan progress (trainer.scan.ScanProgress: bytes, words/s, ETA) on one refreshed line."""
    global _scan_width
    sys.stderr.write(f"\r{message} ")
    sys.stderr.flush()
    _scan_width = max(_scan_width, len(message) + 1)


_scan_width = 0  # characters of the scan's progress line on the terminal (0: none shown)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the terminal shows our lines, not TensorFlow's start-up log
    args = build_parser().parse_args(argv)
    overrides = {field: getattr(args, flag[2:].replace("-", "_")) for flag, field, _, _ in FLAGS}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.cbow:
        overrides["cbow"] = True
    if args.deterministic:
        overrides["deterministic"] = True
    if args.keep_case:
        overrides["lowercase"] = False
    if args.keep_punctuation:
        overrides["strip_punctuation"] = False
    try:  # everything a user can get wrong, before TensorFlow loads
        cfg = preset(args.preset, **overrides)
        sources = [TextSource.from_path(p) for p in args.corpus]
        for src in sources:
            src.detect_encoding()  # BinaryInputError for images, programs, archives...
        out = _check_out(Path(args.out))
    except (ConfigError, CorpusError, OSError) as e:
        return _fail(e)
    from .backend import choose_backend
    from .loop import prepare, train  # imports TensorFlow lazily, after argument errors
    token = CancelToken()
    try:
        if cfg.backend == "native":  # before reading the corpus: no kernel here exits 2 at once
            choose_backend(cfg)
        prepared = prepare(sources, cfg, progress=None if args.quiet else _scan_line, cancel=token)
        if not args.quiet:
            st = prepared.scan.stats
            print(f"\rread {st.tokens:,} words in {st.scan_seconds:.1f} s ({st.scan_workers} process(es)"
                  f"{', kept on disk' if prepared.corpus.on_disk else ''})" + " " * 30, file=sys.stderr)
        try:
            result = train(prepared, cfg, on_event=print_backend if args.quiet else ProgressBar(), cancel=token)
        except KeyboardInterrupt:  # pragma: no cover - interactive
            token.cancel()
            raise
    except (ConfigError, CorpusError) as e:
        return _fail(e)
    except OSError as e:  # an input file that vanished or became unreadable mid-run
        return _fail(e)
    try:
        result.save(out)
        result.save_word2vec(out / "vectors.txt")
        if args.binary:
            result.save_word2vec(out / "vectors.bin", binary=True)
        result.export_projector(out)
    except OSError as e:
        return _fail(f"cannot write the run to {out}: {_fail_text(e)}")
    state = "PARTIAL (stopped early)" if result.partial else "done"
    print(f"{state}: {len(result.words):,} words x {result.vectors.shape[1]} dims in {result.train_seconds:.1f} s "
          f"-> {out}/ (run bundle, vectors.txt, vectors.tsv, metadata.tsv)", file=sys.stderr)
    return 0


def _fail_text(e: OSError) -> str:
    return (e.strerror or str(e)).lower()


if __name__ == "__main__":
    # The CLI prints the backend choice and its reason itself (one line): keep the same news from
    # the trainer's log out of the terminal; a failed build's full compiler output (ERROR) still shows.
    for name in ("trainer.backend", "trainer.native"):
        logging.getLogger(name).setLevel(logging.ERROR)
    sys.exit(main())
