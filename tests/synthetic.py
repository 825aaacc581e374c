"""Small synthetic corpora with known structure, shared by the trainer tests."""
from __future__ import annotations

import numpy as np


def planted_groups(n_groups: int = 20, group_size: int = 6, n_lines: int = 3000, line_len: int = 10,
                   seed: int = 0) -> tuple[str, list[list[str]]]:
    """Lines whose words all come from one group: neighbours should be group mates."""
    rng = np.random.default_rng(seed)
    groups = [[f"g{g}w{i}" for i in range(group_size)] for g in range(n_groups)]
    lines = []
    for _ in range(n_lines):
        g = groups[rng.integers(n_groups)]
        lines.append(" ".join(g[i] for i in rng.integers(group_size, size=line_len)))
    return "\n".join(lines) + "\n", groups


def zipf_text(n_words: int = 200, n_lines: int = 2000, line_len: int = 12, seed: int = 0) -> str:
    """Words w0..wN with Zipfian frequencies, random order."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_words + 1)
    p /= p.sum()
    ids = rng.choice(n_words, size=(n_lines, line_len), p=p)
    return "\n".join(" ".join(f"w{i}" for i in row) for row in ids) + "\n"


def group_precision_at_k(vectors: np.ndarray, words: list[str], groups: list[list[str]], k: int = 5) -> float:
    """Share of each grouped word's k nearest neighbours (cosine, itself excluded) that are its group mates.

        text, groups = planted_groups()
        result = train(TextSource.from_text(text), cfg)
        group_precision_at_k(result.vectors, result.words, groups)   # 1.0: every neighbour is a mate
    """
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    idx = {w: i for i, w in enumerate(words)}
    hits = total = 0
    for group in groups:
        mates = {idx[w] for w in group}
        for w in group:
            sims = v @ v[idx[w]]
            sims[idx[w]] = -np.inf
            hits += len(mates.intersection(np.argsort(-sims)[:k].tolist()))
            total += k
    return hits / total
