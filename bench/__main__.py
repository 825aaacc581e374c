"""`python -m bench` (what `make bench` runs): every section, JSON lines, results files, a Markdown table.

    python -m bench                                   # full run (~10-20 min on 2 cores)
    python -m bench --quick                           # small sizes, results to a temp folder
    python -m bench --only throughput,growth          # some sections; the table keeps the others' last results
    python -m bench --device-name "1x H100"           # label for the GPU section when a GPU is visible

Sections: throughput (ours vs gensim), backends (every backend vs gensim on head500: quality and
words/s, bench/backends.py), tutorial (the TF tutorial's pipeline vs our preset),
first_map (raw text to a drawn UMAP), growth (time and memory vs corpus size), scale (tokenise/train
seconds and peak RSS at 1M/20M/100M words, bench/scale.py), explorer (bench/bench_explorer.py),
alignment (bench/bench_alignment.py: aligned run comparison), gpu (section 1 on a GPU, or skipped),
app_throughput (training words/s inside the running app vs the CLI, and Train-to-first-loss, through a
real browser). Each prints one JSON line
per measurement and writes <out>/<section>.json (with machine info); at the end the targets
table is printed and written to <out>/README-table.md. A failing section is reported and the
others still run; the exit status is then 1.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .common import RESULTS, SAMPLE, Section, machine_info, print_json, slice_corpus, write_result
from .report import SECTION_ORDER, load_results, readme_table

# Sizes for --quick: minutes instead of a quarter of an hour, same code paths.
QUICK = {"throughput_lines": 8000, "tutorial_lines": 4000, "first_map_top": 500,
         "growth_sizes": (50_000, 200_000), "scale_sizes": (50_000, 200_000)}


def _explorer(quick: bool, out_dir: Path) -> dict:
    """Section 4 is bench/bench_explorer.py (owned by the explorer's author): call it, read its file."""
    import importlib
    import json
    try:
        mod = importlib.import_module("bench.bench_explorer")
    except ImportError as e:
        sec = Section("explorer")
        sec.record("skipped", reason=f"bench/bench_explorer.py not importable: {e}")
        return sec.result()
    res = mod.run(quick=quick, out_dir=out_dir)
    if isinstance(res, dict) and "section" in res:
        return res
    data = json.loads((out_dir / "explorer.json").read_text(encoding="utf-8"))
    return data if "section" in data else {"section": "explorer", **data}


def run_section(name: str, quick: bool, tmp: Path, out_dir: Path, device_name: str | None) -> dict:
    from . import app_throughput, backends, first_map, gpu, growth, scale, throughput, tutorial_pipeline
    if name == "backends":
        if quick:  # a tenth of head500, 1 seed, 2 epochs: the code paths, not the figures
            return backends.run(slice_corpus(backends.default_corpus(), tmp / "h50.txt", 25), seeds=(1,), epochs=2)
        return backends.run()
    if name == "throughput":
        corpus = slice_corpus(SAMPLE, tmp / "tp.txt", QUICK["throughput_lines"]) if quick else SAMPLE
        return throughput.run(corpus, repeats=2 if quick else 5)
    if name == "tutorial":
        corpus = slice_corpus(SAMPLE, tmp / "tut.txt", QUICK["tutorial_lines"]) if quick else SAMPLE
        return tutorial_pipeline.run(corpus, repeats=1 if quick else 3, epochs=2 if quick else None)
    if name == "first_map":
        return first_map.run(SAMPLE, top=QUICK["first_map_top"] if quick else 2000)
    if name == "growth":
        if quick:
            sizes = QUICK["growth_sizes"]
            return growth.run(sizes=sizes, out_dir=out_dir, memory_pair=(sizes[0], sizes[-1]))
        return growth.run(out_dir=out_dir)
    if name == "scale":
        return scale.run(sizes=QUICK["scale_sizes"] if quick else scale.SIZES, out_dir=out_dir,
                         tokenise_at=QUICK["scale_sizes"][-1] if quick else scale.TOKENISE_AT)
    if name == "explorer":
        return _explorer(quick, out_dir)
    if name == "alignment":
        from . import bench_alignment
        return bench_alignment.run(quick=quick, out_dir=out_dir)
    if name == "gpu":
        return gpu.run(device_name, repeats=2 if quick else 5,
                       corpus=slice_corpus(SAMPLE, tmp / "gpu.txt", QUICK["throughput_lines"]) if quick else SAMPLE)
    if name == "app_throughput":  # needs Debian's chromium (a real browser against `streamlit run app.py`)
        return app_throughput.run(configs={"quick demo": 3} if quick else None, repeats=1 if quick else 3)
    raise ValueError(name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes; results go to a temp folder unless --out")
    ap.add_argument("--only", default="", help=f"comma-separated sections of: {','.join(SECTION_ORDER)}")
    ap.add_argument("--out", type=Path, default=None, help=f"results folder (default {RESULTS} for full runs)")
    ap.add_argument("--device-name", default=None, help="label of the GPU for the gpu section")
    a = ap.parse_args(argv)
    names = [s.strip() for s in a.only.split(",") if s.strip()] or list(SECTION_ORDER)
    unknown = [n for n in names if n not in SECTION_ORDER]
    if unknown:
        ap.error(f"unknown section(s) {unknown}; choose from {','.join(SECTION_ORDER)}")
    out_dir = a.out or (Path(tempfile.gettempdir()) / "bench-quick" if a.quick else RESULTS)
    out_dir.mkdir(parents=True, exist_ok=True)

    failed = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in names:
            t0 = time.perf_counter()
            try:
                result = run_section(name, a.quick, Path(tmp), out_dir, a.device_name)
            except Exception as e:  # noqa: BLE001 - report, keep the other sections
                failed.append(name)
                print_json({"section": name, "measure": "error", "error": f"{type(e).__name__}: {e}",
                            "traceback": traceback.format_exc()[-2000:]})
                continue
            result.setdefault("machine", machine_info())
            result["quick"] = a.quick
            result["section_seconds"] = time.perf_counter() - t0
            path = write_result(result, out_dir)
            print_json({"section": name, "measure": "written", "path": str(path),
                        "section_seconds": result["section_seconds"]})
    table = readme_table(load_results(out_dir))
    (out_dir / "README-table.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    print(f"results: {out_dir}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
