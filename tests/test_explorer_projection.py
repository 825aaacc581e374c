"""Maps: shapes, notes, caching, progress, PCA/t-SNE/UMAP, stable mapping across snapshots, k-means."""
from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from explorer import MapCache, StableMapper, Vectors, compute_map, kmeans_clusters, procrustes_align, warm_up_umap
from explorer import projection as proj
from explorer.map_fitters import EpochProgress

try:
    from explorer_fixtures import random_vectors
except ImportError:  # tests/ imported as a package
    from tests.explorer_fixtures import random_vectors


def clustered(n: int = 300, dim: int = 16, k: int = 5, seed: int = 0, spread: float = 0.25):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)) * 2
    labels = rng.integers(0, k, n)
    m = (centres[labels] + spread * rng.standard_normal((n, dim))).astype(np.float32)
    counts = np.arange(n, 0, -1) * 7
    return Vectors([f"w{i}" for i in range(n)], m, counts, name="clustered"), labels


def knn_purity(coords: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :k]
    return float((labels[nn] == labels[:, None]).mean())


@pytest.fixture(scope="module")
def umap_run():
    """The one full UMAP fit of the suite (numba compiles on first use)."""
    vec, labels = clustered()
    events: list[tuple[float, str]] = []
    cache = MapCache()
    m = compute_map(vec, "umap", n_words=1000, n_neighbors=10, seed=0, cache=cache,
                    progress=lambda f, msg: events.append((f, msg)))
    return vec, labels, m, events, cache


def test_umap_map_shape_progress_and_structure(umap_run):
    vec, labels, m, events, _ = umap_run
    assert m.coords.shape == (300, 2) and m.coords.dtype == np.float32 and np.isfinite(m.coords).all()
    assert m.method == "umap" and m.params["n_neighbors"] == 10 and m.params["metric"] == "cosine"
    assert m.note == "UMAP of all 300 words" and not m.capped and m.axis_titles() == ["UMAP 1", "UMAP 2"]
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(events) >= 3
    assert any("epoch" in msg for _, msg in events)
    assert knn_purity(m.coords, labels) > 0.9  # the planted clusters stay together


def test_warm_up_small_fit_is_quick_once_compiled(umap_run):
    assert warm_up_umap(large=False) < 10.0  # numba is compiled by the module's UMAP fit


def test_umap_cache_returns_the_same_result_without_refitting(umap_run):
    vec, _, m, _, cache = umap_run
    again = []
    assert compute_map(vec, "umap", n_words=1000, n_neighbors=10, seed=0, cache=cache,
                       progress=lambda f, msg: again.append(msg)) is m
    assert again == ["UMAP: reused the cached map of 300 words"]
    # a Vectors with equal content (another object) hits the same entry: the key is the fingerprint
    twin = Vectors(vec.words, vec.matrix.copy(), vec.counts, name="twin")
    assert compute_map(twin, "umap", n_words=300, n_neighbors=10, seed=0, cache=cache) is m


def test_pca_shapes_notes_titles_and_cache():
    vec = random_vectors(400, dim=12)
    cache = MapCache(maxsize=3)
    m = compute_map(vec, "pca", n_words=100, cache=cache)
    assert m.coords.shape == (100, 2) and m.words == vec.words[:100] and m.counts.tolist() == vec.counts[:100].tolist()
    assert m.capped and m.note == "PCA of the 100 most frequent of 400 words"
    ev = m.info["explained_variance"]
    assert ev[0] >= ev[1] > 0 and m.axis_titles()[0] == f"PC1 ({ev[0]:.1%} of variance)"
    assert compute_map(vec, "pca", n_words=100, cache=cache) is m
    assert compute_map(vec, "pca", n_words=101, cache=cache) is not m
    m3 = compute_map(vec, "PCA", n_words=5000, dims=3, cache=cache)
    assert m3.coords.shape == (400, 3) and m3.note == "PCA of all 400 words" and len(cache) == 3
    assert not m3.coords.flags.writeable
    assert compute_map(vec, "pca", n_words=100, cache=None) is not m


def test_pca_agrees_with_sklearn():
    from sklearn.decomposition import PCA

    vec = random_vectors(200, dim=10, seed=4)
    m = compute_map(vec, "pca", n_words=200, dims=3, cache=None)
    ref = PCA(3).fit(vec.unit)
    want = ref.transform(vec.unit)
    for d in range(3):
        assert abs(np.corrcoef(m.coords[:, d], want[:, d])[0, 1]) > 0.9999
    np.testing.assert_allclose(m.info["explained_variance"], ref.explained_variance_ratio_, rtol=1e-5)


def test_method_cap_is_stated(monkeypatch):
    monkeypatch.setitem(proj.METHOD_LIMITS, "pca", 50)
    m = compute_map(random_vectors(80), "pca", n_words=70, cache=None)
    assert m.n == 50 and m.method_limited
    assert m.note == "PCA of the 50 most frequent of 80 words; PCA is limited to 50 words here"


def test_tsne_2d_3d_and_small_inputs():
    vec, labels = clustered(n=120, seed=2)
    m = compute_map(vec, "t-SNE", n_words=120, seed=0, cache=None)
    assert m.method == "tsne" and m.coords.shape == (120, 2) and knn_purity(m.coords, labels) > 0.9
    small = compute_map(vec, "tsne", n_words=16, dims=3, perplexity=30, cache=None)
    assert small.coords.shape == (16, 3) and small.params["perplexity"] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="at least 10 words"):
        compute_map(vec, "umap", n_words=5)
    with pytest.raises(ValueError, match="method"):
        compute_map(vec, "mds")
    with pytest.raises(ValueError, match="dims"):
        compute_map(vec, "pca", dims=4)


def random_rotation(dim: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


def test_procrustes_recovers_rotation_translation_and_scale():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((50, 2))
    theta = 1.1
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    moved = (ref @ rot) * np.array([1.0, -1.0]) + [5.0, -3.0]  # rotated, mirrored, shifted
    np.testing.assert_allclose(procrustes_align(moved, ref), ref, atol=1e-5)
    np.testing.assert_allclose(procrustes_align(moved * 3.0, ref, scale=True), ref, atol=1e-5)
    # fitted on some rows only, applied to all
    part = procrustes_align(moved, ref, rows=(range(10), range(10)))
    np.testing.assert_allclose(part, ref, atol=1e-5)


def test_stable_pca_mapper_removes_rotations_and_mirror_images():
    vec, _ = clustered(n=200, seed=7)
    live = StableMapper("pca")
    first = live.update(vec.words, vec.matrix)
    assert first.info["aligned"] is False and first.info["step"] == 0
    # a rotated copy of the same space: PCA may flip or swap axes, the aligned map must not move
    rotated = live.update(vec.words, vec.matrix @ random_rotation(16, 1))
    np.testing.assert_allclose(rotated.coords, first.coords, atol=1e-4)
    assert rotated.info["aligned"] and rotated.info["mean_shift"] < 1e-4
    assert "aligned to the previous snapshot" in rotated.note
    # a mirror image: unaligned PCA flips both axes; the aligned map stays put
    raw, _ = proj.pca_coords(-vec.unit, 2)
    mirrored = live.update(vec.words, -vec.matrix)
    unaligned = np.linalg.norm(raw - first.coords, axis=1).mean()
    assert unaligned > 0.1 and mirrored.info["mean_shift"] < 1e-4 < 0.01 * unaligned
    # a noisy snapshot with shuffled and new words: shared words barely move
    rng = np.random.default_rng(3)
    order = rng.permutation(200)[:180]
    words = [vec.words[i] for i in order] + [f"new{i}" for i in range(20)]
    matrix = np.vstack([vec.matrix[order] + 0.05 * rng.standard_normal((180, 16)), rng.standard_normal((20, 16))])
    noisy = live.update(words, matrix)
    assert noisy.info["shared_words"] == 180 and noisy.info["step"] == 3
    spread = np.linalg.norm(first.coords - first.coords.mean(0), axis=1).mean()
    assert noisy.info["mean_shift"] < 0.1 * spread
    live.reset()
    assert live.update(vec.words, vec.matrix).info["aligned"] is False


def test_stable_umap_mapper_keeps_the_layout(umap_run):
    """A fresh UMAP per snapshot rearranges the clusters (even after Procrustes); the stable mapper does not."""
    vec, labels, _, _, _ = umap_run
    words, matrix = list(vec.words[:200]), vec.matrix[:200]
    nxt = matrix + 0.05 * np.random.default_rng(1).standard_normal(matrix.shape).astype(np.float32)
    live = StableMapper("umap", n_neighbors=10, seed=0)
    a = live.update(words, matrix)
    b = live.update(words, nxt)
    assert b.info["aligned"] and b.params["n_epochs"] == 60 and b.coords.shape == (200, 2)
    fresh = compute_map(Vectors(words, nxt), "umap", n_words=200, n_neighbors=10, seed=0, cache=None).coords
    unaligned = np.linalg.norm(fresh - a.coords, axis=1).mean()
    aligned_fresh = np.linalg.norm(procrustes_align(fresh, a.coords) - a.coords, axis=1).mean()
    assert b.info["mean_shift"] < 0.6 * aligned_fresh < 0.6 * unaligned
    assert knn_purity(b.coords, labels[:200]) > 0.9


def test_kmeans_clusters():
    vec, labels = clustered(n=300, k=4, seed=5, spread=0.15)
    cache = MapCache()
    got = kmeans_clusters(vec, n_words=300, k=4, cache=cache)
    assert got.shape == (300,) and set(got.tolist()) == {0, 1, 2, 3}
    sizes = np.bincount(got)
    assert list(sizes) == sorted(sizes, reverse=True)  # cluster 0 is the largest
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, got) > 0.95
    assert kmeans_clusters(vec, n_words=300, k=4, cache=cache) is got
    assert kmeans_clusters(vec.matrix[:50], k=3).shape == (50,)
    assert kmeans_clusters(vec, n_words=2, k=8).tolist() in ([0, 1], [1, 0])


# ------------------------------------------------------------------ issue 10.1: an interrupted fit
class FakeRerun(Exception):
    """Stands in for Streamlit's RerunException (used when streamlit's internals move)."""


def rerun_exception() -> BaseException:
    """Streamlit's own RerunException: what st.progress raises in the script thread when the user clicks elsewhere."""
    try:
        from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
        from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    except ImportError:
        return FakeRerun()
    return RerunException(RerunData())


def run_with_timeout(fn, seconds: float = 180.0):
    """Run fn in a thread; fail (instead of hanging the suite) when it does not end in time."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the test below
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds} s: a fit is blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_interrupted_umap_fit_then_the_next_fit_completes(umap_run, caplog):
    """Explore -> UMAP -> click elsewhere while it runs (the callback raises) -> UMAP again: the map must come."""
    import tqdm

    vec, labels = clustered(n=400, seed=11)
    cache = MapCache(maxsize=4)
    seen: list[str] = []
    rerun = rerun_exception()

    def impatient(fraction: float, message: str) -> None:
        seen.append(message)
        if "epoch" in message:
            raise rerun

    def scenario():
        with caplog.at_level(logging.INFO, logger="explorer.fitjob"), pytest.raises(type(rerun)):
            compute_map(vec, "umap", n_words=400, n_neighbors=12, n_epochs=3000, seed=0, cache=cache,
                        progress=impatient)
        # the same map again: joins the fit that is still running (or takes it from the cache)
        again = compute_map(vec, "umap", n_words=400, n_neighbors=12, n_epochs=3000, seed=0, cache=cache)
        # and another map, with a progress bar that behaves, from another thread at the same time
        other = run_with_timeout(lambda: compute_map(vec, "umap", n_words=300, n_neighbors=12, seed=1, cache=None,
                                                     progress=lambda f, msg: None))
        return again, other

    again, other = run_with_timeout(scenario)
    assert any("epoch" in msg for msg in seen)
    assert type(rerun).__name__ in caplog.text  # logged at the boundary, not swallowed
    assert again.coords.shape == (400, 2) and np.isfinite(again.coords).all()
    assert knn_purity(again.coords, labels) > 0.9
    assert other.coords.shape == (300, 2) and np.isfinite(other.coords).all()
    # tqdm's global lock (what the old code leaked) is free: a new bar starts from another thread
    assert run_with_timeout(lambda: list(tqdm.tqdm(range(3), disable=True)), 10) == [0, 1, 2]


def test_a_raising_progress_sink_never_raises_into_tqdm(caplog):
    class Broken(proj.FitProgress):
        def update(self, fraction, message):
            raise RuntimeError("boom")

    sink = EpochProgress(Broken(), 0.3, 0.98, "UMAP")
    with caplog.at_level(logging.ERROR, logger="explorer.map_fitters"):
        assert sink.write("12/500 [00:01<00:10]") == len("12/500 [00:01<00:10]")
    assert "could not read UMAP's progress line" in caplog.text


def test_fit_job_progress_cancel_and_errors():
    from explorer.fitjob import FitCancelled, FitJob, wait_for

    gate = threading.Event()

    def fit(fp):
        fp.update(0.5, "half way")
        gate.wait(30)
        return 42

    job = FitJob.start(fit, name="test fit")
    calls: list[tuple[float, str]] = []
    threading.Timer(0.3, gate.set).start()
    assert wait_for(job, lambda f, msg: calls.append((f, msg)), timeout=30) == 42
    assert calls[0] == (0.5, "half way") and job.done()
    # cancelled before it starts: dropped, and the waiter is told so
    early = proj.FitJob("early")
    early.cancel()
    early.launch(lambda fp: 1)
    with pytest.raises(FitCancelled):
        early.result(timeout=10)
    # the fit's own error reaches the waiter; a timeout does not stop the fit
    with pytest.raises(ZeroDivisionError):
        wait_for(FitJob.start(lambda fp: 1 / 0), timeout=10)
    slow_gate = threading.Event()
    slow = FitJob.start(lambda fp: slow_gate.wait(30) and "late")
    with pytest.raises(TimeoutError):
        wait_for(slow, timeout=0.2)
    slow_gate.set()
    assert slow.result(timeout=10) == "late"


def test_kmeans_on_centred_vectors_finds_the_groups_under_a_common_direction():
    """Word2vec-like vectors: a large shared direction, four real groups, two far-out words. Centred k-means
    finds the groups (comparable sizes); raw unit vectors split off the outliers instead (issue 10.4)."""
    from sklearn.metrics import adjusted_rand_score

    from explorer.clusters import cluster_names, default_k

    rng = np.random.default_rng(2)
    dim, n, k = 32, 400, 4
    common = 10.0 * rng.standard_normal(dim)
    centres = rng.standard_normal((k, dim))
    labels = np.arange(n) % k
    m = common + centres[labels] + 0.3 * rng.standard_normal((n, dim))
    m[7] = -3.0 * common  # two far-out words
    m[11] = 4.0 * rng.standard_normal(dim)
    vec = Vectors([f"w{i}" for i in range(n)], m.astype(np.float32), np.arange(n, 0, -1))
    got = kmeans_clusters(vec, k=k, cache=None)
    keep = np.setdiff1d(np.arange(n), [7, 11])
    assert adjusted_rand_score(labels[keep], got[keep]) > 0.95
    assert np.bincount(got).min() >= 90  # no clusters of 1-3 words
    raw = kmeans_clusters(vec, k=k, cache=None, centre=False)
    assert adjusted_rand_score(labels[keep], raw[keep]) < adjusted_rand_score(labels[keep], got[keep])
    assert [default_k(x) for x in (50, 300, 2000, 5000, 100_000)] == [3, 3, 9, 12, 12]
    assert kmeans_clusters(vec, n_words=2000, cache=None).max() == default_k(400) - 1
    names = cluster_names(vec.words, got)
    assert len(names) == k and names[0].startswith("cluster 0: w") and names[0].count(",") == 2
