"""CSV exports of what the explorer draws: map coordinates and neighbour tables (str, for download buttons).

    from explorer import map_csv, neighbours_csv

    text = map_csv(m, clusters)            # word,x,y[,z],cluster,count - one row per mapped word, map order
    st.download_button("Download coordinates", text, "map.csv", "text/csv")   # or text.encode("utf-8")
    neighbours_csv(vec.most_similar("king"), query="king")   # rank,word,score,metric,query
    all_neighbours_csv(vec, n_words=1000, k=10)              # the same for the 1,000 most frequent words
    vectors_tsv(vec), metadata_tsv(vec)                      # Embedding Projector files (bytes)
    word2vec_text(vec), word2vec_binary(vec)                 # gensim-loadable (bytes)
    bundle_zip(vec, result=run_result)                       # all of the above (+ the run folder) in a zip

Written with the csv module, so words holding commas, quotes or newlines are quoted correctly and read back
unchanged by csv.reader / pandas.read_csv. Words are written exactly (no escaping: CSV is data, not HTML).
Empty cells mean "unknown" (no clusters computed, no counts in the source).
"""
from __future__ import annotations

import csv
import io
import logging
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .projection import MapResult
from .vectors import Vectors

logger = logging.getLogger(__name__)

BUNDLE_README = """word2vec explorer run bundle

run.json, vocab.json, counts.npy, vectors.npy   the run (load with trainer.RunResult.load(folder))
vectors.tsv, metadata.tsv                       Embedding Projector files (projector.tensorflow.org -> Load)
vectors.txt                                     word2vec text format (gensim KeyedVectors.load_word2vec_format)
"""


def _writer() -> tuple[io.StringIO, Any]:
    buf = io.StringIO()
    return buf, csv.writer(buf, lineterminator="\n")


def map_csv(m: MapResult, clusters: Sequence[int] | np.ndarray | None = None) -> str:
    """word,x,y[,z],cluster,count for every word of the map (coordinates to 7 significant digits)."""
    if clusters is not None and len(clusters) != m.n:
        raise ValueError(f"{len(clusters)} cluster labels for a map of {m.n} words")
    buf, w = _writer()
    w.writerow(["word", *"xyz"[: m.dims], "cluster", "count"])
    coords = np.asarray(m.coords, dtype=np.float64)
    for i, word in enumerate(m.words):
        w.writerow([word, *(f"{v:.7g}" for v in coords[i]),
                    "" if clusters is None else int(clusters[i]),
                    "" if m.counts is None else int(m.counts[i])])
    return buf.getvalue()


def neighbours_csv(rows: Sequence[tuple[str, float]], query: str | Sequence[str] = "", metric: str = "cosine") -> str:
    """rank,word,score,metric,query for (word, score) pairs from most_similar / analogy."""
    q = query if isinstance(query, str) else " ".join(query)
    buf, w = _writer()
    w.writerow(["rank", "word", "score", "metric", "query"])
    for rank, (word, score) in enumerate(rows, start=1):
        w.writerow([rank, word, f"{float(score):.6g}", metric, q])
    return buf.getvalue()


def all_neighbours_csv(vec: Vectors, n_words: int, k: int) -> str:
    """The k nearest words of each of the n most frequent words: rank,word,score,metric,query rows."""
    parts = []
    for i, w in enumerate(vec.words[:n_words]):
        text = neighbours_csv(vec.most_similar(w, topn=k), query=w)
        parts.append(text if i == 0 else text.split("\n", 1)[1])
    return "".join(parts)


def vectors_tsv(vec: Vectors) -> bytes:
    """Embedding Projector vectors.tsv (one row of numbers per word)."""
    from trainer.result import projector_vectors_tsv
    return projector_vectors_tsv(vec.matrix).encode("utf-8")


def metadata_tsv(vec: Vectors) -> bytes:
    """Embedding Projector metadata.tsv (the words, with counts when known)."""
    from trainer.result import projector_metadata_tsv
    return projector_metadata_tsv(list(vec.words), vec.counts).encode("utf-8")


def word2vec_text(vec: Vectors) -> bytes:
    from trainer.result import word2vec_bytes
    return word2vec_bytes(list(vec.words), vec.matrix)


def word2vec_binary(vec: Vectors) -> bytes:
    from trainer.result import word2vec_bytes
    return word2vec_bytes(list(vec.words), vec.matrix, binary=True)


def bundle_zip(vec: Vectors, result: Any = None, tmp_parent: str | None = None) -> bytes:
    """A zip of the run folder (when `result`, a trainer.RunResult, is given) plus Projector and word2vec files.

    tmp_parent: where the run folder is written on its way into the zip (the app's per-session folder)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if result is not None:
            with tempfile.TemporaryDirectory(dir=tmp_parent) as tmp:
                for f in sorted(Path(result.save(tmp)).iterdir()):
                    zf.write(f, f.name)
        zf.writestr("vectors.tsv", vectors_tsv(vec))
        zf.writestr("metadata.tsv", metadata_tsv(vec))
        zf.writestr("vectors.txt", word2vec_text(vec))
        zf.writestr("README.txt", BUNDLE_README)
    return buf.getvalue()
