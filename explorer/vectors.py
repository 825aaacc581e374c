"""Word vectors: one `Vectors` type (the file loaders it re-exports live in explorer/loaders.py).

    from explorer import Vectors, load_vectors, load_projector, VectorsFormatError

    vec = Vectors.from_run("runs/demo")                   # trainer run directory, or an in-memory RunResult
    vec = load_vectors("glove.6B.50d.txt")                # format sniffed: word2vec text/binary, GloVe, vectors.tsv
    vec = load_vectors(upload.getvalue(), name=upload.name)   # bytes (e.g. a Streamlit upload) + display name
    vec = load_projector("vectors.tsv", "metadata.tsv")   # Embedding Projector pair (metadata optional)
    vec = Vectors(["a", "b"], np.eye(2), counts=[5, 3])   # from arrays

    len(vec), vec.dim, "king" in vec, vec.vector("king"), vec.counts   # counts: int64 [V] or None
    vec.fingerprint                                       # stable content hash (words, counts, matrix): cache key
    vec.most_similar("king", topn=5)                      # [(word, cosine), ...]; see explorer.neighbours
    vec.analogy("king", "man", "woman")                   # king - man + woman
    vec.top(5000)                                         # the 5,000 most frequent words as a new Vectors

Rows are kept most frequent first: when counts are known the rows are (stably) sorted by count; without counts
the file order is kept (word2vec and GloVe files are written most frequent first by convention).

Malformed input raises VectorsFormatError (a ValueError) whose message names the file, the line (or the entry,
for binary word2vec) and the problem: ragged rows, non-numbers, NaN/inf, header counts that disagree with the
body, duplicate words, invalid UTF-8, files over the size caps. Unknown words raise UnknownWordError (a KeyError)
that suggests close spellings.

Sources: a path (str or os.PathLike), bytes, or a binary/text file-like object; `name` is the display name used
in error messages (defaults to the path, or to the file-like's `.name`). A str is always a path; pass text content
as bytes.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .neighbours import Metric



class VectorsFormatError(ValueError):
    """A vectors file is malformed. Attributes: source (display name), line (1-based, or None), problem."""

    def __init__(self, source: str, problem: str, line: int | None = None):
        self.source, self.problem, self.line = source, problem, line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class UnknownWordError(KeyError):
    """A word is not in the vocabulary. Attributes: word, suggestions (close spellings, best first)."""

    def __init__(self, word: str, suggestions: Sequence[str] = (), vocab_size: int = 0):
        self.word, self.suggestions = word, list(suggestions)
        msg = f"{word!r} is not in the vocabulary ({vocab_size:,} words)"
        if self.suggestions:
            msg += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class Vectors:
    """Words, optional corpus counts, a float32 matrix [V, dim], and a cached unit-normalised copy.

    Immutable by convention: `matrix`, `counts` and `unit` are read-only arrays, `words` is a tuple.
    `meta` holds where the vectors came from ({"format": ..., plus "partial", "config" for trainer runs}).
    """

    def __init__(self, words: Iterable[str], matrix: Any, counts: Any = None, name: str = "vectors",
                 *, meta: dict[str, Any] | None = None):
        words = list(words)
        if not all(isinstance(w, str) for w in words):
            raise TypeError("words must be strings")
        m = np.asarray(matrix, dtype=np.float32)
        if isinstance(matrix, np.ndarray) and np.may_share_memory(m, matrix):
            m = m.copy()  # never freeze the caller's array
        if m.ndim != 2 or m.shape[0] != len(words):
            raise ValueError(f"{name}: {len(words)} words but a matrix of shape {m.shape}")
        if m.shape[0] == 0 or m.shape[1] == 0:
            raise ValueError(f"{name}: no vectors (shape {m.shape})")
        finite = np.isfinite(m).all(axis=1)
        if not finite.all():
            bad = int(np.argmin(finite))
            raise ValueError(f"{name}: the vector of {words[bad]!r} (row {bad}) holds NaN or infinity")
        c = None
        if counts is not None:
            c = np.asarray(counts)
            if c.shape != (len(words),):
                raise ValueError(f"{name}: {len(words)} words but counts of shape {c.shape}")
            if c.dtype.kind == "f" and not np.all(np.isfinite(c) & (c == np.round(c))):
                raise ValueError(f"{name}: counts must be whole numbers")
            c = c.astype(np.int64)
            if (c < 0).any():
                raise ValueError(f"{name}: counts must not be negative")
            if np.any(np.diff(c) > 0):  # keep rows most frequent first
                order = np.argsort(-c, kind="stable")
                words = [words[i] for i in order]
                m, c = m[order], c[order]
            c.setflags(write=False)
        index: dict[str, int] = {}
        for i, w in enumerate(words):
            j = index.setdefault(w, i)
            if j != i:
                raise ValueError(f"{name}: duplicate word {w!r} (rows {j} and {i})")
        m = np.ascontiguousarray(m)
        m.setflags(write=False)
        self._words: tuple[str, ...] = tuple(words)
        self._matrix = m
        self._counts = c
        self._index = index
        self.name = name
        self.meta: dict[str, Any] = dict(meta or {})

    # ------------------------------------------------------------------ basics
    @property
    def words(self) -> tuple[str, ...]:
        return self._words

    @property
    def matrix(self) -> np.ndarray:
        """float32 [V, dim], read-only."""
        return self._matrix

    @property
    def counts(self) -> np.ndarray | None:
        """int64 [V] corpus counts (read-only), or None when the source had none."""
        return self._counts

    @property
    def dim(self) -> int:
        return int(self._matrix.shape[1])

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __repr__(self) -> str:
        counts = "with counts" if self._counts is not None else "no counts"
        return f"Vectors({self.name!r}, {len(self):,} words x {self.dim} dims, {counts})"

    @cached_property
    def unit(self) -> np.ndarray:
        """Rows scaled to length 1 (all-zero rows stay zero); float32, read-only, computed once."""
        norms = np.linalg.norm(self._matrix, axis=1, keepdims=True)
        u = self._matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)
        u.setflags(write=False)
        return u

    @cached_property
    def sq_norms(self) -> np.ndarray:
        """Squared row lengths, float32 [V] (for Euclidean distances)."""
        s = np.einsum("ij,ij->i", self._matrix, self._matrix)
        s.setflags(write=False)
        return s

    @cached_property
    def fingerprint(self) -> str:
        """Hex digest of words, counts and matrix (not the name): equal content gives an equal fingerprint."""
        h = hashlib.blake2b(digest_size=16)
        h.update(b"explorer.Vectors/1")
        h.update(json.dumps(self._words, ensure_ascii=False).encode("utf-8"))
        h.update(str(self._matrix.shape).encode())
        h.update(np.ascontiguousarray(self._matrix, dtype="<f4").data)  # hashed in place, no copy
        h.update(b"counts:")
        h.update(np.ascontiguousarray(self._counts, dtype="<i8").data if self._counts is not None else b"-")
        return h.hexdigest()

    def index_of(self, word: str) -> int:
        """Row of `word`; UnknownWordError (a KeyError) with close spellings when absent."""
        try:
            return self._index[word]
        except KeyError:
            raise UnknownWordError(word, self.suggest(word), len(self)) from None

    def vector(self, word: str) -> np.ndarray:
        """The (read-only) vector of `word`."""
        return self._matrix[self.index_of(word)]

    def count(self, word: str) -> int | None:
        return None if self._counts is None else int(self._counts[self.index_of(word)])

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Known words spelled like `word`: case variants first, then difflib matches among frequent words."""
        low = word.lower()
        out = [w for w in self._words[:200_000] if w.lower() == low and w != word][:n]
        pool = [w for w in self._words[:50_000] if abs(len(w) - len(word)) <= 3 and w not in out]
        out += difflib.get_close_matches(word, pool, n=n - len(out), cutoff=0.7) if len(out) < n else []
        return out

    def top(self, n: int) -> Vectors:
        """The `n` most frequent words (the first n rows) as a new Vectors."""
        n = max(1, min(int(n), len(self)))
        if n == len(self):
            return self
        counts = None if self._counts is None else self._counts[:n]
        return Vectors(self._words[:n], self._matrix[:n], counts, name=self.name, meta=self.meta)

    # ------------------------------------------------------ neighbours (delegates)
    def most_similar(self, positive: str | Sequence[str] | np.ndarray, negative: str | Sequence[str] | None = None,
                     topn: int = 10, metric: Metric = "cosine",
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Nearest words to sum(positive) - sum(negative); see explorer.neighbours.most_similar."""
        from .neighbours import most_similar
        return most_similar(self, positive, negative, topn=topn, metric=metric, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive: str | Sequence[str], negative: str | Sequence[str] | None = None,
                            topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """3CosMul ranking (Levy & Goldberg 2014); see explorer.neighbours.most_similar_cosmul."""
        from .neighbours import most_similar_cosmul
        return most_similar_cosmul(self, positive, negative, topn=topn, restrict_vocab=restrict_vocab)

    def analogy(self, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd",
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """a - b + c ("king" - "man" + "woman"); method "3cosadd" or "3cosmul"."""
        from .neighbours import analogy
        return analogy(self, a, b, c, topn=topn, method=method, restrict_vocab=restrict_vocab)

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        from .neighbours import similarity
        return similarity(self, w1, w2)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean direction of `words`."""
        from .neighbours import doesnt_match
        return doesnt_match(self, words)

    def words_matching(self, pattern: str, limit: int | None = None, ignore_case: bool = True) -> list[str]:
        """Words (most frequent first) in which the regular expression `pattern` is found."""
        from .neighbours import words_matching
        return words_matching(self, pattern, limit=limit, ignore_case=ignore_case)

    # -------------------------------------------------------------- constructors
    @classmethod
    def from_run(cls, run: Any, name: str | None = None) -> Vectors:
        """From a trainer run directory (path) or an in-memory trainer.result.RunResult."""
        if isinstance(run, (str, os.PathLike)):
            from trainer.result import RunResult  # no TensorFlow behind this import

            d = Path(run)
            try:
                run = RunResult.load(d)
            except ValueError as e:  # RunFormatError
                msg = str(e)
                problem = msg[len(str(d)):].lstrip("/: ") if msg.startswith(str(d)) else msg
                raise VectorsFormatError(str(d), problem) from e
            name = name or d.name
        for attr in ("words", "vectors", "counts"):
            if not hasattr(run, attr):
                raise TypeError(f"expected a run directory or a RunResult, got {type(run).__name__}")
        config = getattr(run, "config", None)
        meta = {"format": "run", "partial": bool(getattr(run, "partial", False)),
                "epochs_completed": float(getattr(run, "epochs_completed", 0.0) or 0.0),
                "config": config.to_dict() if hasattr(config, "to_dict") else None}
        return cls(run.words, run.vectors, run.counts, name=name or "run", meta=meta)
