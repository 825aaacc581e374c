"""Shared helpers for the benchmark sections: machine info, recording, corpora, quality.

    from bench.common import Section, machine_info, quality, tokenized_lines
    sec = Section("throughput")                 # prints one JSON line per record()
    sec.record("ours", words_per_s=1.2e6)
    sec.target("ours/gensim words/s", 1.07, ">= 1.0", passed=True)
    sec.result()                                # dict written to bench/results/<name>.json

Nothing here imports TensorFlow, so `python -m bench --help` stays fast.
Performance is only ever judged as ratios measured in one run on one machine:
absolute seconds on a shared 2-core box are noise.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import platform
import statistics
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "shakespeare.txt"
RESULTS = ROOT / "bench" / "results"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("gensim").setLevel(logging.WARNING)


# ------------------------------------------------------------------ machine
def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """What every results file records about where it was measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(), "usable_cores": usable,
        "load_average_1_5_15": load,  # the machine is shared: a high load explains noisy seconds
        "python": platform.python_version(), "platform": platform.platform(),
        "versions": {p: _version(p) for p in ("tensorflow", "gensim", "numpy", "umap-learn", "plotly", "keras")},
    }


# ------------------------------------------------------------------ recording
def print_json(record: dict) -> None:
    print(json.dumps(record, default=_json_default), flush=True)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


class Section:
    """Collects one section's measurements, targets and notes; emits each record as it comes."""

    def __init__(self, name: str, emit: Callable[[dict], None] | None = print_json):
        self.name = name
        self.emit = emit or (lambda r: None)
        self.records: list[dict] = []
        self.targets: list[dict] = []
        self.notes: list[str] = []

    def record(self, measure: str, **fields: Any) -> dict:
        rec = {"section": self.name, "measure": measure, **fields}
        self.records.append(rec)
        self.emit(rec)
        return rec

    def target(self, name: str, measured: str, goal: str, passed: bool | None) -> None:
        """passed=None: not measurable here (SKIP)."""
        status = "SKIP" if passed is None else ("PASS" if passed else "MISS")
        t = {"target": name, "measured": measured, "goal": goal, "status": status}
        self.targets.append(t)
        self.emit({"section": self.name, "measure": "target", **t})

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.emit({"section": self.name, "measure": "note", "text": text})

    def result(self, **extra: Any) -> dict:
        return {"section": self.name, "machine": machine_info(), "records": self.records,
                "targets": self.targets, "notes": self.notes, **extra}


def write_result(result: dict, out_dir: Path | str = RESULTS) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result['section']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, default=_json_default) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------ statistics
def spread(values: Iterable[float]) -> dict[str, float]:
    """Median plus min/max of repeated measurements (the spread is the honest error bar)."""
    v = [float(x) for x in values]
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def mean(values: Iterable[float]) -> float:
    v = [float(x) for x in values if x is not None and not np.isnan(x)]
    return float(np.mean(v)) if v else float("nan")


def diff_se(a: list[float], b: list[float]) -> float:
    """Standard error of mean(a) - mean(b) from the two samples' spreads (0 with one value each)."""
    var = lambda v: float(np.var(v, ddof=1)) / len(v) if len(v) > 1 else 0.0
    return float(np.sqrt(var(a) + var(b)))


def fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{x:.{digits}g}"


# ------------------------------------------------------------------ corpora
def slice_corpus(src: Path | str, dst: Path | str, lines: int) -> Path:
    """The first `lines` lines of src written to dst (for quick runs and tests)."""
    dst = Path(dst)
    with open(src, encoding="utf-8") as f:
        head = [line for _, line in zip(range(lines), f)]
    dst.write_text("".join(head), encoding="utf-8")
    return dst


def tokenized_lines(path: Path | str) -> list[list[str]]:
    """The sentences gensim trains on: trainer.tokenizer.tokenize per line, empty lines skipped.
    The same standardisation ours uses, so both see the same tokens."""
    from trainer import tokenize
    with open(path, encoding="utf-8") as f:
        return [t for t in (tokenize(line) for line in f) if t]


# ------------------------------------------------------------------ quality
def keyed_vectors(words: list[str], vectors: np.ndarray, keep: set[str] | None = None):
    """A gensim KeyedVectors of (words, vectors), optionally restricted to `keep` (order kept)."""
    from gensim.models import KeyedVectors
    vectors = np.asarray(vectors, dtype=np.float32)
    if keep is not None:
        idx = [i for i, w in enumerate(words) if w in keep]
        words, vectors = [words[i] for i in idx], vectors[idx]
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv


def quality(kv) -> dict[str, float]:
    """gensim's own evaluators: analogy accuracy (questions-words), Spearman rho on
    WordSim353 and SimLex-999, plus how much of each test the vocabulary covers."""
    from gensim.test.utils import datapath
    prev = logging.getLogger("gensim").level
    logging.getLogger("gensim").setLevel(logging.ERROR)
    try:
        acc, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
        total = next((s for s in sections if s["section"] == "Total accuracy"), None)
        n_q = len(total["correct"]) + len(total["incorrect"]) if total else 0
        out = {"analogy": float(acc), "analogy_questions": n_q}
        for key, fname in (("ws353", "wordsim353.tsv"), ("simlex", "simlex999.txt")):
            _pearson, spearman, oov = kv.evaluate_word_pairs(datapath(fname))
            rho = float(spearman[0]) if spearman is not None else float("nan")
            out[key] = rho
            out[f"{key}_oov_pct"] = float(oov)
        return out
    finally:
        logging.getLogger("gensim").setLevel(prev)


QUALITY_KEYS = ("analogy", "ws353", "simlex")
QUALITY_FIELDS = ("analogy", "analogy_questions", "ws353", "ws353_oov_pct", "simlex", "simlex_oov_pct")


def mean_quality(runs: list[dict]) -> dict[str, float]:
    """Mean over runs (seeds) of each quality() field."""
    return {k: mean(r[k] for r in runs) for k in QUALITY_FIELDS} if runs else {}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    Linux: VmHWM from /proc/self/status, the high-water mark of this address space. Not
    getrusage's ru_maxrss: the kernel carries that across fork+exec, so a child started by a
    big parent (ours: TensorFlow already loaded) would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20
