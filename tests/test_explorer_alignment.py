"""Aligned comparison of two runs: Procrustes, moved-most ranking, neighbour overlap, different dims, figure."""
import json

import numpy as np
import pytest

from explorer import Vectors
from explorer.alignment import AlignmentError, align_runs, neighbour_overlap, procrustes_rotation, top_neighbours
from explorer.figures_compare import aligned_coords, aligned_map_figure, shown_rows
from tests.explorer_fixtures import random_vectors


def random_rotation(dim: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))  # a proper random orthogonal matrix


def test_procrustes_recovers_a_known_rotation():
    a = random_vectors(400, dim=20, seed=1)
    q = random_rotation(20, seed=2)
    b = Vectors(a.words, a.matrix.astype(np.float64) @ q, a.counts, name="rotated")
    al = align_runs(a, b, overlap_words=400)
    # B = A Q, so the rotation that maps B back onto A is Q^T.
    np.testing.assert_allclose(al.rotation, q.T, atol=1e-5)
    np.testing.assert_allclose(al.b_aligned, al.a, atol=1e-5)
    assert float(al.distance.max()) < 1e-5
    assert al.space == "original" and al.dims == (20, 20, 20) and al.n == 400
    np.testing.assert_allclose(al.overlap, 1.0)  # rotation keeps every neighbour
    default = align_runs(a, b)  # overlap only for the 200 most-moved candidates; NaN (not computed) elsewhere
    assert int(np.isfinite(default.overlap).sum()) == 200 == default.info["overlap_words"]


def test_procrustes_rotation_is_orthogonal_least_squares():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((50, 6)), rng.standard_normal((50, 6))
    r = procrustes_rotation(b, a)
    np.testing.assert_allclose(r @ r.T, np.eye(6), atol=1e-10)
    best = np.linalg.norm(b @ r - a)
    for seed in range(20):  # no other orthogonal matrix fits better
        assert best <= np.linalg.norm(b @ random_rotation(6, seed) - a) + 1e-9


def test_planted_swaps_rank_first():
    a = random_vectors(600, dim=24, seed=3, clusters=12)
    rng = np.random.default_rng(4)
    m = a.matrix.astype(np.float64) @ random_rotation(24, 5) + 0.05 * rng.standard_normal((600, 24))
    planted = [(7, 300), (40, 501), (120, 260)]
    for i, j in planted:
        m[[i, j]] = m[[j, i]]
    b = Vectors(a.words, m, a.counts, name="b")
    al = align_runs(a, b)
    moved = {a.words[i] for pair in planted for i in pair}
    top = al.moved_most(len(moved))
    assert {t.word for t in top} == moved
    assert all(t.distance > 0.3 and t.overlap < 0.5 for t in top)
    rest = al.order[len(moved):]
    assert float(np.nanmean(al.overlap[rest])) > 0.5 and float(al.distance[rest].max()) < top[-1].distance
    floor = int(a.counts[120])  # only words at least as frequent as w120 qualify
    qualifying = {w for w in moved if a.count(w) >= floor}
    assert {"w7", "w40", "w120"} <= qualifying
    al_min = align_runs(a, b, min_count=floor)
    assert {m.word for m in al_min.moved_most(len(qualifying))} == qualifying
    assert al_min.ranked == int((a.counts >= floor).sum()) < 600
    everyone = al_min.moved_most(10_000)  # never a word below min_count, however long the list
    assert len(everyone) == al_min.ranked and all(m.count_a >= floor for m in everyone)
    assert np.isfinite([m.overlap for m in everyone[:200]]).all()  # overlap spent on ranked words only
    table = al.table(6)
    assert list(table["word"]) == [t.word for t in top] and list(table["rank"]) == [1, 2, 3, 4, 5, 6]
    assert "shared words" in al.describe()


def test_overlap_breaks_ties_lower_first():
    # Equal distances (a pure rotation moves nothing) -> order decided by overlap alone.
    from explorer.alignment import rank_moved
    d = np.array([0.5, 0.5, 0.5, 0.1], dtype=np.float32)
    ov = np.array([0.8, 0.2, np.nan, 0.0], dtype=np.float32)
    assert rank_moved(d, ov).tolist() == [1, 0, 2, 3]


def test_neighbour_overlap_matches_brute_force():
    a, b = random_vectors(300, dim=8, seed=6), random_vectors(300, dim=8, seed=7)
    rows = np.arange(0, 300, 7)
    got = neighbour_overlap(np.asarray(a.unit), np.asarray(b.unit), rows, k=10)
    for r, j in zip(rows, got, strict=True):
        na = {w for w, _ in a.most_similar(a.words[r], topn=10)}
        nb = {w for w, _ in b.most_similar(b.words[r], topn=10)}
        assert j == pytest.approx(len(na & nb) / len(na | nb))


def test_top_neighbours_fast_path_matches_argsort():
    # Over 8*64*k columns the block-maximum bound is used; it must give the exact top k.
    u = np.asarray(random_vectors(6000, dim=12, seed=8).unit)
    rows = np.array([0, 5, 999, 5999])
    got = top_neighbours(u, rows, k=10)
    for r, g in zip(rows, got, strict=True):
        s = u @ u[r]
        s[r] = -np.inf
        assert set(g.tolist()) == set(np.argsort(-s)[:10].tolist())


def test_different_dims_align_in_shared_pca_space():
    base = random_vectors(500, dim=16, seed=9, clusters=8)
    rng = np.random.default_rng(10)
    # B: the same words embedded in 24 dims by a random orthogonal embedding, some words only in one run.
    embed = random_rotation(24, 11)[:, :16].T  # [16, 24], orthonormal rows
    b = Vectors(list(base.words[50:]) + ["only_b"], np.vstack([base.matrix[50:] @ embed, rng.standard_normal(24)]),
                name="b24")
    al = align_runs(base, b)
    assert al.dims == (16, 24, 16) and al.space == "pca-16" and al.n == 450
    assert al.only_a == 50 and al.only_b == 1
    assert float(al.distance.max()) < 1e-4
    al8 = align_runs(base, b, k=8)
    assert al8.a.shape == (450, 8) and al8.space == "pca-8"


def test_pretrained_style_vectors_without_counts_align():
    a = random_vectors(200, dim=10, seed=12, counts=False)
    b = Vectors(reversed(a.words), a.matrix[::-1] * 3.0, name="glove-like")  # other order, other scale
    al = align_runs(a, b)
    assert al.words == a.words and al.counts_a is None and float(al.distance.max()) < 1e-5


def test_errors_are_clear():
    a = random_vectors(50, dim=8, seed=1)
    b = Vectors([f"x{i}" for i in range(50)], a.matrix, name="other")
    with pytest.raises(AlignmentError, match="share only 0 word"):
        align_runs(a, b)
    with pytest.raises(AlignmentError, match="from 1 to 8"):
        align_runs(a, a, k=9)


def test_aligned_map_figure_shares_coordinates_and_escapes_words():
    a = random_vectors(300, dim=12, seed=13)
    words = list(a.words)
    words[3] = "<b>x</b>"
    a = Vectors(words, a.matrix, a.counts, name="A&B")
    m = a.matrix.copy()
    m[[3, 200]] = m[[200, 3]]
    al = align_runs(a, Vectors(words, m, a.counts, name="run<2>"))
    rows = shown_rows(al, n_words=100, include_moved=10)
    assert set(al.order[:10].tolist()) <= set(rows.tolist()) and 100 <= len(rows) <= 110
    ca, cb, ratio = aligned_coords(al, rows)
    unmoved = [k for k, r in enumerate(rows) if al.distance[r] < 1e-5]
    np.testing.assert_allclose(ca[unmoved], cb[unmoved], atol=1e-4)  # same coordinates for unmoved words
    fig = aligned_map_figure(al, n_words=100, include_moved=10, label_top=2)
    lines, pa, pb, labels = fig.data
    assert list(pa.customdata) == list(pb.customdata) == [al.words[r] for r in rows]
    assert "&lt;b&gt;x&lt;/b&gt;" in "".join(pb.hovertext) and "<b>x</b>" not in "".join(labels.text)
    assert fig.layout.xaxis.title.text.startswith("PC1 of A&amp;B") and "run&lt;2&gt;" in fig.layout.title.text
    assert pb.marker.colorbar.title.text == "cosine distance"
    assert len(lines.x) == 3 * len(rows)
    assert set(labels.customdata) == {"<b>x</b>", "w200"}  # the swapped pair is labelled
    shown = json.dumps([list(t.hovertext or []) + list(t.text or []) for t in fig.data])
    assert "<b>x</b>" not in shown  # only customdata (never rendered) holds the raw word


def test_bench_alignment_runs_and_finds_the_planted_swaps(tmp_path):
    from bench import bench_alignment

    res = bench_alignment.run(out_dir=tmp_path, repeats=1, emit=None, words=3000)
    main = next(r for r in res["records"] if r["measure"] == "align + moved-most")
    assert main["words"] == 3000 and main["planted_recall_at_40"] == 1.0 and main["median_s"] > 0
    assert res["targets"][0]["status"] == "SKIP"  # the goal is for 50k words; no verdict on a small run
    assert json.loads((tmp_path / "alignment.json").read_text())["section"] == "alignment"
