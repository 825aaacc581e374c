"""Probe words: each probe's nearest neighbours at every epoch end, so a UI can show them changing.

    cfg = TrainConfig(probe_words=("king", "love"))           # at most 5
    ids, missing = resolve_probes(vocab, cfg)                 # rows of the in-vocabulary probes; missing words
    probes = probe_neighbours(model.input_vectors(), ids, vocab.words)   # {"king": [("queen", 0.71), ...]}

The training loop calls these (trainer/loop.py) and puts the result in the epoch_end TrainEvent's `probes`.
Cost per epoch end: one pass for the row norms plus one matrix-vector product per probe over the input vectors;
nothing runs between epoch ends. Probes that are not in the vocabulary are reported once, in the "start" event
(info["probe_missing"]) and the log, not silently dropped.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from .config import TrainConfig
from .vocab import Vocabulary

logger = logging.getLogger(__name__)

MAX_PROBES = 5
PROBE_TOPN = 5


def resolve_probes(vocab: Vocabulary, cfg: TrainConfig) -> tuple[dict[str, int], list[str]]:
    """({probe word as given: vocabulary row}, [probe words not in the vocabulary]).

    Probes are case-folded like the corpus when cfg.lowercase, so "King" finds "king"."""
    found: dict[str, int] = {}
    missing: list[str] = []
    for word in cfg.probe_words:
        key = word.lower() if cfg.lowercase else word
        row = vocab.index.get(key)
        if row is None:
            missing.append(word)
        else:
            found[word] = row
    if missing:
        logger.warning("probe word(s) not in the vocabulary, no neighbours will be shown for them: %s",
                       ", ".join(repr(w) for w in missing))
    return found, missing


def probe_neighbours(matrix: np.ndarray, probes: dict[str, int], words: Sequence[str],
                     topn: int = PROBE_TOPN) -> dict[str, list[tuple[str, float]]]:
    """{probe: [(neighbour, cosine), ...]} best first, the probe itself excluded; zero rows score 0."""
    if not probes:
        return {}
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    safe = np.where(norms > 0, norms, 1.0)
    k = min(topn, len(words) - 1)
    out: dict[str, list[tuple[str, float]]] = {}
    for probe, row in probes.items():
        sims = (matrix @ matrix[row]) / (safe * safe[row])
        sims[row] = -np.inf
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) - 1 else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")][:k]
        out[probe] = [(words[i], float(sims[i])) for i in top]
    return out
