"""Smoke test: the bench sections run end to end on a ~2k-line slice with 1 epoch.

No timing is asserted (the machine is shared; `make bench` is where figures come from):
only that each section returns its records, targets with a status, results files, and
that the Markdown table and the growth plot are produced.
"""
from __future__ import annotations

import json

import pytest

from bench import first_map, growth, throughput, tutorial_pipeline
from bench.__main__ import main
from bench.common import SAMPLE, slice_corpus, write_result
from bench.report import load_results, readme_table

STATUSES = {"PASS", "MISS", "SKIP"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return slice_corpus(SAMPLE, tmp_path_factory.mktemp("bench") / "slice.txt", 2000)


def _check(result: dict, section: str) -> None:
    assert result["section"] == section
    assert result["records"], "every section records at least one measurement"
    assert all(t["status"] in STATUSES for t in result["targets"])
    assert result["machine"]["cpu_cores"] >= 1
    json.dumps(result)  # results files must be plain JSON


def test_sections_end_to_end_and_table(small, tmp_path):
    results = [
        throughput.run(small, repeats=1, epochs=1, emit=None),
        tutorial_pipeline.run(small, repeats=1, epochs=1, emit=None, warm_lines=200),
        first_map.run(small, top=100, cold=False, emit=None),
        growth.run(sizes=(5_000,), corpus=small, out_dir=tmp_path, emit=None),
    ]
    for res, name in zip(results, ("throughput", "tutorial", "first_map", "growth")):
        _check(res, name)
        write_result(res, tmp_path)

    tp = results[0]["summary"]
    assert set(tp["words_per_s"]) == {"ours", "gensim"} and tp["raw_words"] > 0
    assert {"analogy", "ws353", "simlex"} <= set(tp["quality"]["ours"])
    tut = results[1]["summary"]
    assert set(tut["seconds"]) == {"tutorial_pipeline", "ours_tutorial_preset"}
    assert results[2]["summary"]["warm_s"] > 0
    rows = [r for r in results[3]["records"] if r["measure"] in ("ours", "gensim")]
    assert {r["measure"] for r in rows} == {"ours", "gensim"}
    assert all(r["peak_rss_mb"] > 0 and r["words"] >= 5_000 for r in rows)
    assert (tmp_path / "growth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    table = readme_table(load_results(tmp_path))
    assert "| Section | Target | Measured | Goal | Status |" in table
    assert table.count("**PASS**") + table.count("**MISS**") + table.count("**SKIP**") >= 5


def test_build_corpora_reaches_each_size(small, tmp_path):
    corpora = growth.build_corpora(small, (3_000, 12_000), tmp_path)
    assert [c["size"] for c in corpora] == [3_000, 12_000]
    for c in corpora:
        tok_words = sum(len(line.split()) for line in c["tok"].read_text(encoding="utf-8").splitlines())
        assert tok_words == c["words"] >= c["size"]
        assert c["raw"].stat().st_size > c["tok"].stat().st_size * 0.5


def test_cli_rejects_unknown_section():
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])


def test_gpu_breakdown_part_runs_on_the_cpu():
    # The part the next lent GPU runs first (bench.gpu_device): here "auto" is the CPU path. No timing asserted.
    from bench import gpu_device
    records: list[dict] = []
    gpu_device.part_breakdown(records, words=60_000, step_tokens=20_000)
    stages = [r["stage"] for r in records]
    assert stages[0] == "producers alone" and "steps alone" in stages and stages.count("whole run") == 2
    alone = [r for r in records if r["stage"] == "producers alone"]
    assert len({r["pairs"] for r in alone}) == 1  # every producer count makes the same pairs
    assert all(r["words_per_s"] > 0 and r["seconds"] > 0 for r in records)
