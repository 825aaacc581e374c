"""Stable maps for the live view during training: successive snapshots of one run keep their layout.

    from explorer import StableMapper, map_figure

    live = StableMapper("pca")                  # or StableMapper("umap", n_neighbors=15, seed=0)
    for words, matrix in snapshots:             # e.g. the top words' vectors at each epoch end
        m = live.update(words, matrix)          # MapResult, Procrustes-aligned to the previous call
        m.info["mean_shift"]                    # mean distance the shared words moved since the last snapshot
        st.plotly_chart(map_figure(m))
    procrustes_align(coords, reference)         # the alignment itself: rotation/reflection + translation

PCA: a fresh PCA per snapshot, then orthogonal Procrustes onto the previous layout (removes the sign flips
and rotations PCA is free to make). UMAP: initialised from the previous coordinates, a short gentle run, then
Procrustes. A fresh UMAP per snapshot rearranges the clusters even after alignment; this keeps them in place
(tests/test_explorer_projection.py measures both).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .map_fitters import fit_umap, pca_coords
from .projection import MIN_WORDS, MapResult, ProgressFn, _effective_params, _frozen


def procrustes_align(coords: np.ndarray, reference: np.ndarray, scale: bool = False,
                     rows: tuple[Sequence[int], Sequence[int]] | None = None) -> np.ndarray:
    """Rotate/reflect and translate (and, with scale=True, scale) `coords` to best fit `reference`.

    rows=(rows_in_coords, rows_in_reference) pairs up the points used for the fit (default: all, same order);
    the transform is then applied to every row of `coords`. Orthogonal Procrustes via SVD.
    """
    coords = np.asarray(coords, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    src, dst = (coords, reference) if rows is None else (coords[list(rows[0])], reference[list(rows[1])])
    if len(src) == 0:
        return coords.astype(np.float32)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, s, vt = np.linalg.svd(a.T @ b)
    rot = u @ vt
    factor = float(s.sum() / max((a * a).sum(), 1e-300)) if scale else 1.0
    return ((coords - mu_s) @ rot * factor + mu_d).astype(np.float32)


class StableMapper:
    """Maps successive snapshots of one training run so that the picture does not jump between them.

        live = StableMapper("umap", n_neighbors=15, seed=0)
        for words, matrix in snapshots:           # e.g. one per epoch from the trainer
            m = live.update(words, matrix)        # MapResult; m.info["mean_shift"]: mean move of shared words
            st.plotly_chart(map_figure(m))

    "pca": a fresh PCA per snapshot, then orthogonal Procrustes onto the previous layout (this removes the sign
    flips and rotations PCA is free to make). "umap": the first snapshot is a full UMAP fit (n_epochs); later
    ones start from the previous coordinates (new words at their nearest shared word) and run `update_epochs`
    epochs at `update_learning_rate`, so the layout moves gently and keeps its clusters in place (a fresh fit
    per snapshot would rearrange them), then Procrustes. Raise update_learning_rate towards 1.0 to let the map
    follow big changes faster. Words are matched by string, so snapshots may differ in which words they hold.
    scale=True also lets the alignment rescale.
    """

    def __init__(self, method: str = "pca", dims: int = 2, *, seed: int | None = 0, n_neighbors: int = 15,
                 min_dist: float = 0.1, n_epochs: int | None = None, update_epochs: int = 60,
                 update_learning_rate: float = 0.25, scale: bool = False):
        if method not in ("pca", "umap"):
            raise ValueError("StableMapper method must be 'pca' or 'umap'")
        if dims not in (2, 3):
            raise ValueError("dims must be 2 or 3")
        self.method, self.dims, self.scale = method, dims, scale
        self._kw = {"seed": seed, "n_neighbors": n_neighbors, "min_dist": min_dist, "n_epochs": n_epochs}
        self.update_epochs, self.update_learning_rate = update_epochs, update_learning_rate
        self.previous: MapResult | None = None
        self.step = 0

    def reset(self) -> None:
        """Forget the previous layout (the next update starts afresh)."""
        self.previous, self.step = None, 0

    def update(self, words: Sequence[str], matrix: np.ndarray, counts: np.ndarray | None = None,
               progress: ProgressFn | None = None) -> MapResult:
        """Map this snapshot, aligned to the previous one; returns a MapResult (and remembers it)."""
        words = tuple(words)
        m = np.asarray(matrix, dtype=np.float32)
        if m.ndim != 2 or m.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but a matrix of shape {m.shape}")
        if len(words) < MIN_WORDS[self.method]:
            raise ValueError(f"need at least {MIN_WORDS[self.method]} words")
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        X = m / np.where(norms > 0, norms, 1.0)
        prev = self.previous
        shared_new, shared_old = self._shared(words, prev)
        t0 = time.perf_counter()
        info: dict[str, Any] = {"step": self.step, "aligned": False, "shared_words": len(shared_new)}
        params = _effective_params(self.method, len(words), perplexity=30.0, **self._kw)
        if self.method == "pca":
            coords, ratio = pca_coords(X, self.dims)
            info["explained_variance"] = [float(r) for r in ratio]
        else:
            start = self._umap_init(X, prev, shared_new, shared_old)
            if start is None:
                coords = fit_umap(X, self.dims, params, progress)
            else:  # UMAP rescales an init to the box [0, 10]; give it that box and undo the scaling afterwards
                box, lo, hi = start
                params = {**params, "n_epochs": self.update_epochs, "learning_rate": self.update_learning_rate}
                coords = fit_umap(X, self.dims, params, progress, init=box, learning_rate=self.update_learning_rate)
                coords = coords * ((hi - lo) / 10.0) + lo
        if prev is not None and len(shared_new) > self.dims:
            coords = procrustes_align(coords, prev.coords, self.scale, rows=(shared_new, shared_old))
            shift = np.linalg.norm(coords[shared_new] - prev.coords[shared_old], axis=1)
            info.update(aligned=True, mean_shift=float(shift.mean()))
        result = MapResult(words=words, coords=_frozen(coords), method=self.method, params=params,
                           total_words=len(words), counts=None if counts is None else np.asarray(counts),
                           requested=len(words), seconds=time.perf_counter() - t0, info=info)
        self.previous, self.step = result, self.step + 1
        return result

    @staticmethod
    def _shared(words: tuple[str, ...], prev: MapResult | None) -> tuple[np.ndarray, np.ndarray]:
        if prev is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        pairs = [(i, j) for i, w in enumerate(words) if (j := prev.index_of(w)) is not None]
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]

    def _umap_init(self, X: np.ndarray, prev: MapResult | None, shared_new: np.ndarray,
                   shared_old: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(init scaled to the box [0, 10], box low corner, box high corner) from the previous layout."""
        n = X.shape[0]
        if prev is None or len(shared_new) < max(self.dims + 2, n // 2):
            return None  # too little overlap: UMAP's own (spectral) start
        init = np.zeros((n, self.dims), dtype=np.float64)
        init[shared_new] = prev.coords[shared_old]
        new = np.setdiff1d(np.arange(n), shared_new)
        if len(new):
            nearest = np.argmax(X[new] @ X[shared_new].T, axis=1)
            spread = float(np.std(prev.coords[shared_old])) or 1.0
            jitter = np.random.default_rng(self.step).normal(scale=0.01 * spread, size=(len(new), self.dims))
            init[new] = init[shared_new][nearest] + jitter
        lo, hi = init[shared_new].min(axis=0), init[shared_new].max(axis=0)
        hi = np.where(hi > lo, hi, lo + 1.0)
        init = np.clip(init, lo, hi)
        return (10.0 * (init - lo) / (hi - lo)).astype(np.float32), lo, hi
