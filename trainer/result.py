"""The result of a training run: vectors, vocabulary, config, history; save/load/export.

    from trainer.result import RunResult
    result.save("runs/demo")                  # run directory (JSON + .npy, no pickle)
    same = RunResult.load("runs/demo")
    result.export_projector("out/")           # vectors.tsv + metadata.tsv (Embedding Projector)
    result.save_word2vec("out/vectors.txt")   # gensim KeyedVectors.load_word2vec_format(...)
    result.save_word2vec("out/vectors.bin", binary=True)

Run directory layout (format "word2vec-explorer-run", version 1):
    run.json             config, corpus stats, loss history, partial flag, timings
    vocab.json           list of words, most frequent first
    counts.npy           int64 [V] corpus counts of those words
    vectors.npy          float32 [V, dim] input (word) vectors
    output_vectors.npy   float32 [V, dim] output (context) vectors, optional
This module imports no TensorFlow, so the explorer can load runs cheaply.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig

RUN_FORMAT = "word2vec-explorer-run"
RUN_VERSION = 1


class RunFormatError(ValueError):
    """A run directory is missing files or holds inconsistent data."""


@dataclass
class RunResult:
    words: list[str]  # vocabulary, most frequent first
    counts: np.ndarray  # int64 [V] corpus counts
    vectors: np.ndarray  # float32 [V, dim] input vectors (the embeddings)
    config: TrainConfig  # the configuration that produced them
    output_vectors: np.ndarray | None = None  # float32 [V, dim] context vectors, if kept
    loss_history: list[dict[str, float]] = field(default_factory=list)  # progress, loss, words_per_sec, epoch, lr
    epoch_losses: list[float] = field(default_factory=list)  # mean loss of each completed epoch
    corpus_stats: dict[str, Any] = field(default_factory=dict)  # see trainer.corpus_types.CorpusStats.to_dict
    partial: bool = False  # True when training was stopped before the last epoch ended
    epochs_completed: float = 0.0  # fractional epochs actually trained
    train_seconds: float = 0.0  # wall time of the training loop (vocabulary excluded)
    backend: str = ""  # which update path trained it: "native", "tf" or "tf-gpu"

    # ---------------------------------------------------------------- save/load
    def save(self, directory: str | os.PathLike) -> Path:
        """Write the run directory (created if needed); returns its path."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)
        np.save(d / "counts.npy", np.asarray(self.counts, dtype=np.int64), allow_pickle=False)
        if self.output_vectors is not None:
            np.save(d / "output_vectors.npy", np.asarray(self.output_vectors, dtype=np.float32), allow_pickle=False)
        elif (d / "output_vectors.npy").exists():
            (d / "output_vectors.npy").unlink()
        (d / "vocab.json").write_text(json.dumps(self.words, ensure_ascii=False), encoding="utf-8")
        meta = {
            "format": RUN_FORMAT, "version": RUN_VERSION,
            "config": self.config.to_dict(), "corpus_stats": self.corpus_stats,
            "loss_history": self.loss_history, "epoch_losses": self.epoch_losses,
            "partial": self.partial, "epochs_completed": self.epochs_completed,
            "train_seconds": self.train_seconds, "backend": self.backend,
            "vocab_size": len(self.words), "dim": int(self.vectors.shape[1]),
        }
        (d / "run.json").write_text(json.dumps(meta, indent=1, default=_json_default), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike) -> RunResult:
        """Read a run directory written by save(); RunFormatError if it is not one."""
        d = Path(directory)
        for name in ("run.json", "vocab.json", "counts.npy", "vectors.npy"):
            if not (d / name).is_file():
                raise RunFormatError(f"{d}: missing {name}; is this a run directory saved by the trainer?")
        try:
            meta = json.loads((d / "run.json").read_text(encoding="utf-8"))
            words = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RunFormatError(f"{d}: run.json or vocab.json is not valid JSON ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") != RUN_FORMAT:
            raise RunFormatError(f"{d}/run.json: not a {RUN_FORMAT} file")
        if meta.get("version", 0) > RUN_VERSION:
            raise RunFormatError(f"{d}/run.json: format version {meta.get('version')} is newer than this program")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise RunFormatError(f"{d}/vocab.json: expected a JSON list of words")
        try:
            vectors = np.load(d / "vectors.npy", allow_pickle=False)
            counts = np.load(d / "counts.npy", allow_pickle=False)
            out = (np.load(d / "output_vectors.npy", allow_pickle=False)
                   if (d / "output_vectors.npy").is_file() else None)
        except ValueError as e:
            raise RunFormatError(f"{d}: unreadable array file ({e})") from None
        n = len(words)
        if vectors.ndim != 2 or vectors.shape[0] != n or counts.shape != (n,):
            raise RunFormatError(f"{d}: {n} words but vectors {vectors.shape} and counts {counts.shape}")
        if out is not None and out.shape != vectors.shape:
            raise RunFormatError(f"{d}: output_vectors {out.shape} differ from vectors {vectors.shape}")
        return cls(
            words=words, counts=counts.astype(np.int64), vectors=vectors.astype(np.float32, copy=False),
            config=TrainConfig.from_dict(meta.get("config", {})), output_vectors=out,
            loss_history=meta.get("loss_history", []), epoch_losses=meta.get("epoch_losses", []),
            corpus_stats=meta.get("corpus_stats", {}), partial=bool(meta.get("partial", False)),
            epochs_completed=float(meta.get("epochs_completed", 0.0)),
            train_seconds=float(meta.get("train_seconds", 0.0)), backend=str(meta.get("backend", "")),
        )

    # ------------------------------------------------------------------ export
    def export_projector(self, directory: str | os.PathLike) -> tuple[Path, Path]:
        """Embedding Projector files: vectors.tsv (no header) and metadata.tsv (header word\\tcount)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        vec_path, meta_path = d / "vectors.tsv", d / "metadata.tsv"
        vec_path.write_text(projector_vectors_tsv(self.vectors), encoding="utf-8")
        meta_path.write_text(projector_metadata_tsv(self.words, self.counts), encoding="utf-8")
        return vec_path, meta_path

    def save_word2vec(self, path: str | os.PathLike, binary: bool = False) -> Path:
        """word2vec text or binary format ("V dim" header, most frequent first)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(word2vec_bytes(self.words, self.vectors, binary=binary))
        return p


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean_word(w: str) -> str:
    # Tabs/newlines would break TSV and word2vec text rows; tokens never hold them,
    # but pretrained vocabularies might.
    return w.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def projector_vectors_tsv(vectors: np.ndarray) -> str:
    """Rows of tab-separated floats, one per word, shortest exact repr (%.9g)."""
    lines = ["\t".join(f"{x:.9g}" for x in row) for row in np.asarray(vectors, dtype=np.float32)]
    return "\n".join(lines) + "\n"


def projector_metadata_tsv(words: list[str], counts: np.ndarray | None) -> str:
    """metadata.tsv with a `word\\tcount` header (counts empty when unknown)."""
    rows = ["word\tcount"]
    for i, w in enumerate(words):
        rows.append(f"{_clean_word(w)}\t{int(counts[i]) if counts is not None else ''}")
    return "\n".join(rows) + "\n"


def word2vec_bytes(words: list[str], vectors: np.ndarray, binary: bool = False) -> bytes:
    """Serialise to the word2vec format gensim's load_word2vec_format reads."""
    vectors = np.asarray(vectors, dtype=np.float32)
    parts = [f"{len(words)} {vectors.shape[1]}\n".encode()]
    for w, row in zip(words, vectors):
        word = _clean_word(w).replace(" ", "_").encode("utf-8")
        if binary:
            parts.append(word + b" " + row.astype("<f4").tobytes() + b"\n")
        else:
            parts.append(word + b" " + " ".join(f"{x:.9g}" for x in row).encode() + b"\n")
    return b"".join(parts)
