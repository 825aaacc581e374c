"""Save/load, exports readable by gensim, and the command line."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.synthetic import zipf_text
from trainer import RunFormatError, RunResult, TextSource, TrainConfig, train
from trainer.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result():
    text = zipf_text(n_words=80, n_lines=600) + "naïve café's\n" * 6
    return train(TextSource.from_text(text), TrainConfig(dim=12, epochs=1, min_count=2, keep_output_vectors=True))


def test_save_load_round_trip(result, tmp_path):
    result.save(tmp_path / "run")
    back = RunResult.load(tmp_path / "run")
    assert back.words == result.words and np.array_equal(back.counts, result.counts)
    assert np.array_equal(back.vectors, result.vectors) and np.array_equal(back.output_vectors, result.output_vectors)
    assert back.config == result.config and back.loss_history == result.loss_history
    assert back.corpus_stats["vocab_size"] == len(result.words) and back.partial == result.partial
    # Plain JSON + .npy only: nothing pickled.
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["format"] == "word2vec-explorer-run" and meta["config"]["dim"] == 12
    np.load(tmp_path / "run" / "vectors.npy", allow_pickle=False)


def test_load_rejects_broken_run_dirs(result, tmp_path):
    with pytest.raises(RunFormatError, match="missing run.json"):
        RunResult.load(tmp_path)
    d = result.save(tmp_path / "bad")
    (d / "vocab.json").write_text(json.dumps(result.words[:-1]))
    with pytest.raises(RunFormatError, match="words but vectors"):
        RunResult.load(d)
    (d / "vocab.json").write_text("{not json")
    with pytest.raises(RunFormatError, match="not valid JSON"):
        RunResult.load(d)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_export_loads_in_gensim_identically(result, tmp_path, binary):
    path = result.save_word2vec(tmp_path / ("v.bin" if binary else "v.txt"), binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == result.words
    assert np.array_equal(kv.vectors, result.vectors)  # %.9g text round-trips float32 exactly


def test_projector_export(result, tmp_path):
    vec, meta = result.export_projector(tmp_path)
    rows = vec.read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(result.words)
    assert np.array_equal(np.array([r.split("\t") for r in rows], dtype=np.float32), result.vectors)
    lines = meta.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "word\tcount" and len(lines) == len(result.words) + 1
    assert lines[1] == f"{result.words[0]}\t{result.counts[0]}"
    assert any(line.startswith("naïve\t") for line in lines)


def test_cli_help_explains_every_parameter():
    text = build_parser().format_help()
    for flag in ["--dim", "--window", "--negative", "--epochs", "--min-count", "--sample", "--max-vocab", "--cbow",
                 "--lr", "--batch-size", "--seed", "--preset", "--out"]:
        assert flag in text


def test_cli_end_to_end_on_a_slice_of_the_sample(tmp_path):
    lines = (ROOT / "sample_data" / "shakespeare.txt").read_text(encoding="utf-8").splitlines()[:2000]
    corpus = tmp_path / "slice.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "trainer", str(corpus), "--out", str(out), "--preset", "quick demo",
                           "--dim", "16", "--epochs", "2", "--min-count", "2", "--binary"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "100.0%" in proc.stderr and "words/s" in proc.stderr
    for name in ["run.json", "vocab.json", "counts.npy", "vectors.npy", "vectors.txt", "vectors.bin", "vectors.tsv",
                 "metadata.tsv"]:
        assert (out / name).is_file(), name
    run = RunResult.load(out)
    assert run.vectors.shape[1] == 16 and run.config.epochs == 2 and not run.partial
    kv = KeyedVectors.load_word2vec_format(str(out / "vectors.txt"))
    assert np.array_equal(kv.vectors, run.vectors)


def test_cli_reports_bad_parameters_without_traceback(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "trainer", str(corpus), "--out", str(tmp_path / "o"), "--window", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "window=0 is not allowed" in proc.stderr and "Traceback" not in proc.stderr
