"""bench/backends.py's judging: the issue-9 quality targets, seed merging and the README rows.

No training here (the section itself runs in `make bench`): runs are built by hand so each rule
is checked on both sides of its threshold.
"""
from bench import backends
from bench.common import Section
from bench.report import readme_table

GENSIM = "gensim (workers=2)"
TF = "tf, batch 65,536 (the GPU batch)"


def _result(seed: int, scores: dict[str, tuple[float, float, float]], wps: dict[str, float]) -> dict:
    sec = Section("backends", emit=None)
    sec.record("corpus", path="c.txt", raw_words=1000, vocab=50, preset="p", epochs=5, seeds=[seed])
    runs = {}
    for label, (analogy, ws, sl) in scores.items():
        runs[label] = [sec.record("run", contender=label, seed=seed, seconds=1.0, words_per_s=wps[label],
                                  analogy=analogy, ws353=ws, simlex=sl, analogy_questions=10, ws353_oov_pct=0.0,
                                  simlex_oov_pct=0.0, backend="gensim" if label == GENSIM else label.split(",")[0])]
    return backends._summarise(sec, runs, gpu=False, raw_words=1000, epochs=5)


def _status(result: dict, prefix: str) -> str:
    return next(t["status"] for t in result["targets"] if t["target"].startswith(prefix) and "analogy" in t["target"])


def test_tf_rows_pass_within_the_issue_margins_and_miss_outside():
    wps = {GENSIM: 100.0, TF: 50.0, "native": 150.0}
    ok = _result(1, {GENSIM: (0.040, 0.30, 0.20), TF: (0.035, 0.275, 0.175), "native": (0.04, 0.30, 0.20)}, wps)
    assert _status(ok, TF) == "PASS"  # 0.035 >= 0.85 x 0.040; 0.275 >= 0.30 - 0.03; 0.175 >= 0.20 - 0.03
    low_analogy = _result(1, {GENSIM: (0.040, 0.30, 0.20), TF: (0.033, 0.30, 0.20), "native": (0.04, 0.3, 0.2)}, wps)
    assert _status(low_analogy, TF) == "MISS"
    low_ws = _result(1, {GENSIM: (0.040, 0.30, 0.20), TF: (0.040, 0.26, 0.20), "native": (0.04, 0.3, 0.2)}, wps)
    assert _status(low_ws, TF) == "MISS"
    ratio = next(r for r in ok["records"] if r["measure"] == "ratios" and r["contender"] == TF)
    assert ratio["words_per_s_vs_gensim"] == 0.5


def test_merged_seeds_judge_native_by_gensims_seed_range_and_fill_the_readme_table():
    wps = {GENSIM: 100.0, "native": 150.0}
    seeds = [_result(1, {GENSIM: (0.030, 0.30, 0.10), "native": (0.029, 0.30, 0.10)}, wps),
             _result(2, {GENSIM: (0.040, 0.36, 0.12), "native": (0.031, 0.33, 0.10)}, wps)]
    merged = backends.merge(seeds, emit=None)
    table = {r["contender"]: r for r in merged["summary"]["table"]}
    assert table["native"]["seeds"] == 2 and abs(table["native"]["analogy"] - 0.030) < 1e-12
    # gensim's range is 0.010 / 0.06 / 0.02; native trails by 0.005 / 0.015 / 0.01: inside it.
    assert _status(merged, "native") == "PASS"
    worse = backends.merge(seeds + [_result(3, {GENSIM: (0.035, 0.33, 0.11), "native": (0.0, 0.0, 0.0)}, wps)],
                           emit=None)
    assert _status(worse, "native") == "MISS"
    text = readme_table({"backends": merged})
    assert "| native (native) | 2 | 3.0% |" in text and "GPU host" not in text
    # GPU rows come from the gpu section (measured where a GPU is lent), with the device named.
    gpu = {"section": "gpu", "targets": [], "records": [], "summary": {"device": "Some GPU", "table": [
        {"contender": "gensim (workers=2, host CPU)", "analogy": 0.03, "ws353": 0.3, "simlex": 0.1, "seeds": 3},
        {"contender": "tf on GPU, batch 8,192", "analogy": 0.04, "ws353": 0.5, "simlex": 0.2, "seeds": 3}]}}
    text = readme_table({"backends": merged, "gpu": gpu})
    assert "| tf on GPU, batch 8,192 (Some GPU) | 3 | 4.0% | 0.500 | 0.200 | (GPU host) | |" in text
    assert "gensim (workers=2, host CPU)" not in text.split("| backend | seeds |")[1]
