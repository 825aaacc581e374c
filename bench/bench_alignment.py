"""Alignment benchmark: aligned run comparison (Procrustes + moved-most) on 50,000 shared words x 100 dims.

    python bench/bench_alignment.py             # 50k words, 5 repeats; prints JSON lines, writes alignment.json
    python bench/bench_alignment.py --quick     # 10k words, 2 repeats
    python -m bench --only alignment            # through the bench harness (calls run())
    taskset -c 0,1 python bench/bench_alignment.py   # pin to 2 cores on a bigger machine

Run A: 100-dim vectors around 50 cluster centres (word vectors are clustered). Run B: A under a random rotation
plus noise, with PLANTED word pairs swapped, so the moved-most list has a known answer (recall is recorded
next to the time). The timed call is what the app does: align_runs(a, b) (shared vocabulary, normalise and
centre, Procrustes, distances, top-10 neighbour overlap of the 200 most-moved candidates, ranking) plus
moved_most(50). Also timed: the same with different dims (B projected to 50 dims: shared PCA space) and the
aligned map figure. No gensim counterpart exists, so no ratio: the target is absolute (< 2 s on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, Section, print_json, write_result  # noqa: E402
from explorer import Vectors  # noqa: E402
from explorer.alignment import align_runs  # noqa: E402

DIM = 100
WORDS = 50_000
PLANTED = 20  # word pairs swapped between the runs
TARGET_S = 2.0


def make_runs(n: int, dim: int = DIM, seed: int = 0, dim_b: int | None = None) -> tuple[Vectors, Vectors, set[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim)) * 2.0
    a = centres[rng.integers(0, 50, n)] + rng.standard_normal((n, dim))
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    b = a @ (q * np.sign(np.diag(r))) + 0.3 * rng.standard_normal((n, dim))
    if dim_b is not None and dim_b != dim:
        b = b @ np.linalg.qr(rng.standard_normal((dim, dim_b)))[0]  # an orthonormal projection to dim_b
    pairs = rng.choice(np.arange(100, n), size=(PLANTED, 2), replace=False)
    for i, j in pairs:
        b[[i, j]] = b[[j, i]]
    words = [f"w{i}" for i in range(n)]
    counts = np.sort(rng.zipf(1.3, n).astype(np.int64))[::-1]
    planted = {words[i] for pair in pairs for i in pair}
    return (Vectors(words, a, counts, name="run A"), Vectors(words, b, counts, name="run B"), planted)


def _time(fn, repeats: int, cpu: list[float] | None = None) -> tuple[list[float], object]:
    """Wall seconds per call (and, into `cpu`, the process's CPU seconds per call, all threads)."""
    times, out = [], None
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return times, out


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run(quick: bool = False, out_dir: Path | str = RESULTS, repeats: int | None = None,
        emit=print_json, words: int | None = None) -> dict:
    """Measure, write out_dir/alignment.json and return the section result (the bench harness calls this)."""
    n = words or (10_000 if quick else WORDS)
    repeats = repeats or (2 if quick else 5)
    sec = Section("alignment", emit=emit)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    a, b, planted = make_runs(n)
    align_runs(*make_runs(2000, seed=1)[:2])  # warm-up: BLAS threads, first-call costs

    def call():
        al = align_runs(a, b)
        return al, al.moved_most(50)

    cpu: list[float] = []
    times, (al, top) = _time(call, repeats, cpu)
    recall = len(planted & {m.word for m in top[: len(planted)]}) / len(planted)
    med = statistics.median(times)
    sec.record("align + moved-most", words=n, dim=DIM, repeats=repeats, median_s=round(med, 3),
               min_s=round(min(times), 3), max_s=round(max(times), 3), usable_cores=cores,
               cpu_s_median=round(statistics.median(cpu), 3), load_average_1min=_load(),
               overlap_words=al.info["overlap_words"], planted_recall_at_40=recall)
    t_no, _ = _time(lambda: align_runs(a, b, overlap_words=0), repeats)
    sec.record("align without neighbour overlap", words=n, dim=DIM, median_s=round(statistics.median(t_no), 3))

    a2, b2, planted2 = make_runs(n, dim_b=50, seed=2)
    t_dd, (al2, top2) = _time(lambda: (lambda x: (x, x.moved_most(50)))(align_runs(a2, b2)), repeats)
    sec.record("align + moved-most, dims 100 vs 50 (shared 50-dim PCA space)", words=n,
               median_s=round(statistics.median(t_dd), 3), space=al2.space,
               planted_recall_at_40=len(planted2 & {m.word for m in top2[:40]}) / len(planted2))

    from explorer.figures_compare import aligned_map_figure
    t_fig, _ = _time(lambda: aligned_map_figure(al, n_words=2000), max(1, repeats // 2))
    sec.record("aligned map figure (2,000 words + 50 movers)", median_s=round(statistics.median(t_fig), 3))

    sec.target(f"align + moved-most, {n:,} shared words x {DIM} dims (median of {repeats})", f"{med:.2f} s",
               f"< {TARGET_S:.0f} s on 2 cores", passed=(med < TARGET_S) if n == WORDS else None)
    # CPU seconds (all threads) bound the wall time on idle cores from above for this compute-bound call, and
    # are far less inflated than wall seconds when other jobs share the machine.
    sec.note(f"CPU time per call (median, all threads): {statistics.median(cpu):.2f} s")
    if cores and cores != 2:
        sec.note(f"measured with {cores} usable cores; the goal is for 2 (pin with taskset -c 0,1)")
    result = sec.result()
    write_result(result, out_dir)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 words, 2 repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"results folder (default {RESULTS})")
    args = ap.parse_args()
    run(quick=args.quick, out_dir=args.out, repeats=args.repeats)
    print(f"wrote {args.out / 'alignment.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
