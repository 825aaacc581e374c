"""What a scan produces: CorpusStats, CorpusScan (provisional ids + counts), EncodedCorpus (vocabulary ids).

    from trainer.scan import scan_corpus
    scan = scan_corpus([TextSource.from_path("sample_data/shakespeare.txt")])   # a CorpusScan
    scan.stats.tokens, scan.stats.encodings        # CorpusStats: 202_651, {'shakespeare.txt': 'utf-8'}
    vocab = scan.vocabulary(min_count=5)            # trainer.vocab.Vocabulary
    corpus = scan.encode(vocab)                     # EncodedCorpus: int32 ids + sentence offsets
    corpus.ids[corpus.offsets[0]:corpus.offsets[1]] # the first sentence

Big corpora keep their arrays on disk (trainer.corpus_store) and delete them on close(),
when collected, or at exit.
"""
from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus_store import ScanStore, finish, release_pages, writer

logger = logging.getLogger(__name__)

@dataclass
class CorpusStats:
    """What a scan saw; shown in the app's data report and saved with each run."""
    sources: list[dict] = field(default_factory=list)  # [{name, bytes, encoding}]
    bytes: int = 0
    lines: int = 0  # all lines, empty ones included
    empty_lines: int = 0
    tokens: int = 0  # raw tokens after standardisation
    types: int = 0  # distinct tokens
    sentences: int = 0  # non-empty lines after splitting long ones
    long_lines_split: int = 0  # lines longer than max_sentence_len
    scan_workers: int = 1  # processes that tokenised (trainer.parallel_scan)
    scan_seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @property
    def encodings(self) -> dict[str, str]:
        return {s["name"]: s["encoding"] for s in self.sources}


@dataclass
class EncodedCorpus:
    """In-vocabulary tokens as int32 ids; sentence k is ids[offsets[k]:offsets[k+1]].

    ids and offsets are in-memory arrays, or read-only np.memmap views of .npy files
    in a temp dir (big corpora, see trainer.corpus_store); readers of a mapped corpus
    call release_pages() now and then so its pages do not pile up in RSS; close()
    deletes the files (also done when the object is collected or at exit).
    """
    ids: np.ndarray  # int32 [n_tokens]
    offsets: np.ndarray  # int64 [n_sentences + 1]
    files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        self._finalizer = weakref.finalize(self, _unlink, self.files) if self.files else None

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_sentences(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def on_disk(self) -> bool:
        return bool(self.files)

    def max_sentence_length(self, chunk: int = 1 << 20) -> int:
        """Longest sentence, read in chunks (never a full-size temporary)."""
        best = 0
        for a in range(0, self.n_sentences, chunk):
            part = np.asarray(self.offsets[a:a + chunk + 1])
            if part.shape[0] > 1:
                best = max(best, int(np.diff(part).max()))
        release_pages(self.offsets)
        return best

    def release_pages(self) -> None:
        release_pages(self.ids, self.offsets)

    def close(self) -> None:
        """Delete the backing files now (mapped arrays stay readable until dropped, on Linux)."""
        if self._finalizer is not None:
            self._finalizer()


def _unlink(files: tuple[Path, ...]) -> None:
    for f in files:
        try:
            f.unlink(missing_ok=True)
        except OSError as e:
            logger.warning("could not remove %s: %s", f, e)


@dataclass
class CorpusScan:
    """Every token of the corpus as provisional ids (first-seen order) plus counts.

    Tokens are kept per read block (blocks end at line ends), so encoding never
    needs a second full-size copy of the corpus. A big corpus's blocks live on disk
    (store.on_disk, see trainer.corpus_store); close() removes them.
    """
    types: list[str]  # provisional id -> token
    type_counts: np.ndarray  # int64 [n_types]
    store: ScanStore  # int32 provisional ids, sentence lengths (after splitting), line lengths
    stats: CorpusStats
    lowercase: bool = True
    strip_punctuation: bool = True
    max_sentence_len: int = 1000

    @property
    def pid_blocks(self) -> list[np.ndarray]:
        return [p for p, _ in self.store.blocks(release=False)]

    @property
    def sentence_blocks(self) -> list[np.ndarray]:
        return [s for _, s in self.store.blocks(release=False)]

    @property
    def pids(self) -> np.ndarray:
        return self.store.arrays["pids"]

    @property
    def sentence_lengths(self) -> np.ndarray:
        return self.store.arrays["sentences"]

    @property
    def line_lengths(self) -> np.ndarray:
        """int32 tokens per non-empty line (before splitting)."""
        return self.store.arrays["lines"]

    def close(self) -> None:
        """Delete this scan's temp files (and those of corpora encoded from it)."""
        if self.store.spill is not None:
            self.store.spill.close()

    def vocabulary(self, min_count: int = 5, max_vocab: int | None = None):
        from .vocab import Vocabulary
        return Vocabulary.build(self.types, self.type_counts, min_count=min_count, max_vocab=max_vocab)

    def encode(self, vocab) -> EncodedCorpus:
        """Map tokens to vocabulary ids, dropping out-of-vocabulary tokens and
        sentences left empty. Peak extra memory: one block (plus the output when
        the scan is in memory; a scan on disk writes the output to disk too)."""
        remap = np.full(len(self.types), -1, dtype=np.int32)
        for new_id, w in enumerate(vocab.words):
            remap[self._type_index[w]] = new_id
        spill = self.store.spill
        tag = f"{id(vocab):x}-{time.monotonic_ns():x}"
        ids_w = writer(spill, f"ids-{tag}.npy", np.int32)
        off_w = writer(spill, f"offsets-{tag}.npy", np.int64)
        off_w.append(np.zeros(1, np.int64))
        total = 0
        for block, lengths in self.store.blocks():
            if not len(block):
                continue
            mapped = remap[block]
            keep = mapped >= 0
            ids_w.append(mapped[keep])
            starts = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            per_sentence = np.add.reduceat(keep.astype(np.int64), starts)  # kept tokens per sentence
            ends = np.cumsum(per_sentence[per_sentence > 0]) + total
            off_w.append(ends)
            total = int(ends[-1]) if len(ends) else total
        ids, offsets = finish(ids_w), finish(off_w)
        files = (ids_w.path, off_w.path) if spill is not None else ()
        return EncodedCorpus(ids=ids, offsets=offsets, files=files)

    @property
    def _type_index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i for i, w in enumerate(self.types)}
        return self._index

