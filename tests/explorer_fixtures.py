"""Small data builders shared by the tests/test_explorer_*.py files (no fixtures with side effects here)."""
from __future__ import annotations

import numpy as np

from explorer import Vectors

# A tiny hand-built space: axes gender (+1 male), royalty (+1 royal), age (+1 adult), person, thing. People all have
# the same length, so analogies hold exactly even after unit-normalisation.
TINY = {
    "man": [1.0, -1.0, 1.0, 2.0, 0.0],
    "woman": [-1.0, -1.0, 1.0, 2.0, 0.0],
    "king": [1.0, 1.0, 1.0, 2.0, 0.0],
    "queen": [-1.0, 1.0, 1.0, 2.0, 0.0],
    "boy": [1.0, -1.0, -1.0, 2.0, 0.0],
    "girl": [-1.0, -1.0, -1.0, 2.0, 0.0],
    "prince": [1.0, 1.0, -1.0, 2.0, 0.0],
    "princess": [-1.0, 1.0, -1.0, 2.0, 0.0],
    "car": [0.0, 0.0, 0.0, 0.0, 2.0],
    "truck": [0.3, 0.0, 0.2, 0.0, 2.0],
}


def tiny_vectors() -> Vectors:
    words = list(TINY)
    counts = np.arange(len(words) * 10, 0, -10)
    return Vectors(words, np.array([TINY[w] for w in words], dtype=np.float32), counts, name="tiny")


def random_vectors(n: int = 500, dim: int = 16, seed: int = 0, counts: bool = True, clusters: int = 0) -> Vectors:
    """Random unit-ish vectors; with clusters>0, points around that many centres (so maps have structure)."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, dim)).astype(np.float32)
    if clusters:
        centres = rng.standard_normal((clusters, dim)).astype(np.float32) * 3
        m = m * 0.5 + centres[rng.integers(0, clusters, size=n)]
    c = np.sort(rng.zipf(1.5, size=n).astype(np.int64) + 5)[::-1] if counts else None
    return Vectors([f"w{i}" for i in range(n)], m, c, name=f"random{n}")


def planted_analogies(questions: str, sections: tuple[str, ...], dim: int = 24, seed: int = 0,
                      noise: float = 1.1, fillers: int = 300) -> tuple[list[str], np.ndarray, str]:
    """(words, matrix, file text) for the given sections of a questions-words file, with the analogy offsets
    planted (b = a + offset(section) + noise) so that accuracy is neither 0 nor 1. Words are lower-cased, a few
    have a capitalised variant ranked after them, and fillers are mixed in so some questions fall outside a
    restricted vocabulary."""
    rng = np.random.default_rng(seed)
    keep, lines = False, []
    for line in questions.splitlines():
        if line.startswith(":"):
            keep = line[1:].strip() in sections
            if keep:
                lines.append(line)
        elif keep and line.strip():
            lines.append(line)
    vec: dict[str, np.ndarray] = {}
    offset: dict[str, np.ndarray] = {}
    section = ""
    for line in lines:
        if line.startswith(":"):
            section = line[1:].strip()
            offset[section] = rng.standard_normal(dim)
            continue
        a, b, c, d = (w.lower() for w in line.split())
        for x, y in ((a, b), (c, d)):
            if x not in vec:
                vec[x] = rng.standard_normal(dim)
            if y not in vec:
                vec[y] = vec[x] + offset[section] + noise * rng.standard_normal(dim)
    words = list(vec)
    rng.shuffle(words)
    for i in range(fillers):
        words.insert(int(rng.integers(0, len(words) + 1)), f"filler{i}")
        vec[f"filler{i}"] = rng.standard_normal(dim) * 1.2
    for w in list(words[:: max(1, len(words) // 15)]):
        v = w.capitalize()
        if not w.startswith("filler") and v != w and v not in vec:  # a case variant after the original
            words.insert(words.index(w) + 3, v)
            vec[v] = rng.standard_normal(dim)
    matrix = np.array([vec[w] for w in words], dtype=np.float32)
    return words, matrix, "\n".join(lines) + "\n"


def make_run(words: list[str], matrix: np.ndarray, counts: np.ndarray | None = None):
    """A trainer.result.RunResult (pure numpy/json, no TensorFlow)."""
    from trainer.config import TrainConfig
    from trainer.result import RunResult

    counts = np.arange(len(words), 0, -1, dtype=np.int64) * 3 if counts is None else counts
    return RunResult(words=list(words), counts=counts, vectors=np.asarray(matrix, dtype=np.float32),
                     config=TrainConfig(dim=int(matrix.shape[1])),
                     loss_history=[{"progress": 0.5, "loss": 3.0, "words_per_sec": 1e5, "epoch": 1}],
                     partial=True, epochs_completed=0.5)
