"""Big-corpus machinery: parallel scan == serial scan, on-disk (memory-mapped) corpora, temp-file
cleanup, disk-full errors, scan progress and cancel. Speed and memory targets live in bench/scale.py."""
import errno
import gc
import logging
import re
from pathlib import Path

import numpy as np
import pytest

from tests.synthetic import zipf_text
from trainer import (
    CancelToken,
    CorpusError,
    TextSource,
    TrainConfig,
    corpus_store,
    parallel_scan,
    prepare,
    scan_corpus,
    train,
)
from trainer.events import TrainingCancelled

# Lines of every kind the scanner distinguishes: accents and other scripts, punctuation, empty
# lines, a line longer than max_sentence_len, and no line break at the very end.
TEXT = (zipf_text(n_words=300, n_lines=3000, seed=1)
        + "Café crème, naïve DON'T well-known — नमस्ते दुनिया ไทย\n\n\n"
        + " ".join(f"w{i % 40}" for i in range(2500)) + "\n"
        + zipf_text(n_words=400, n_lines=3000, seed=2) + "tail words without a final break")


def _same_scan(a, b) -> None:
    assert a.types == b.types
    assert np.array_equal(a.type_counts, b.type_counts)
    assert np.array_equal(a.pids, b.pids)
    assert np.array_equal(a.sentence_lengths, b.sentence_lengths)
    assert np.array_equal(a.line_lengths, b.line_lengths)
    skip = {"scan_workers", "scan_seconds"}
    assert {k: v for k, v in a.stats.to_dict().items() if k not in skip} == \
           {k: v for k, v in b.stats.to_dict().items() if k not in skip}


@pytest.fixture
def small_ranges(monkeypatch):
    """Make the parallel path run on a small file, cut into many ranges."""
    monkeypatch.setattr(parallel_scan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel_scan, "RANGE_BYTES", 3000)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_parallel_scan_is_identical_to_the_serial_scan(tmp_path, small_ranges, caplog, encoding):
    text = TEXT if encoding != "cp1252" else TEXT.encode("cp1252", "replace").decode("cp1252")
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode(encoding))
    extra = TextSource.from_text("an in-memory source after the file\nw1 w2 w3\n", name="extra")
    sources = [TextSource.from_path(path), extra]
    with caplog.at_level(logging.WARNING):
        par = scan_corpus(sources, max_sentence_len=1000, workers=2)
    assert par.stats.scan_workers == 2 and par.store.n_blocks > 10
    assert not [r for r in caplog.records if "parallel scan" in r.getMessage()]  # no silent fallback
    ser = scan_corpus(sources, max_sentence_len=1000, workers=1)
    assert ser.stats.scan_workers == 1
    _same_scan(par, ser)
    assert par.stats.long_lines_split == 1 and par.stats.encodings["big.txt"] == encoding
    for min_count in (1, 5):
        vp, vs = par.vocabulary(min_count), ser.vocabulary(min_count)
        assert vp.words == vs.words and np.array_equal(vp.counts, vs.counts)
        ep, es = par.encode(vp), ser.encode(vs)
        assert np.array_equal(ep.ids, es.ids) and np.array_equal(ep.offsets, es.offsets)


def test_byte_ranges_end_at_line_breaks(tmp_path):
    path = tmp_path / "t.txt"
    data = TEXT.encode("utf-8")
    path.write_bytes(data)
    ranges = parallel_scan.byte_ranges(path, len(data), block=1000)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data) and len(ranges) > 20
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(data[e - 1:e] == b"\n" for _, e in ranges[:-1])


def test_a_spilled_scan_lives_on_disk_and_matches_the_in_memory_one(tmp_path):
    src = [TextSource.from_text(TEXT)]
    mem = scan_corpus(src)
    disk = scan_corpus(src, spill_dir=tmp_path, spill_threshold=0)
    assert not mem.store.on_disk and disk.store.on_disk
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith(corpus_store.PREFIX)
    assert isinstance(disk.pids, np.memmap) and not disk.pids.flags.writeable
    _same_scan(mem, disk)
    vocab = mem.vocabulary(2)
    em, ed = mem.encode(vocab), disk.encode(disk.vocabulary(2))
    assert isinstance(ed.ids, np.memmap) and ed.on_disk and all(f.parent == folder for f in ed.files)
    assert np.array_equal(em.ids, ed.ids) and np.array_equal(em.offsets, ed.offsets)
    assert ed.max_sentence_length() == int(np.diff(em.offsets).max())
    # .npy files that numpy reads without pickle
    assert np.array_equal(np.load(ed.files[0], allow_pickle=False), em.ids)
    ed.close()
    assert not any(f.exists() for f in ed.files) and folder.exists()
    disk.close()
    assert not folder.exists()


def test_spill_files_go_when_the_owner_is_collected(tmp_path):
    scan = scan_corpus([TextSource.from_text(TEXT)], spill_dir=tmp_path, spill_threshold=0)
    enc = scan.encode(scan.vocabulary(1))
    files = enc.files
    del enc
    gc.collect()
    assert not any(f.exists() for f in files)
    assert len(list(tmp_path.iterdir())) == 1
    del scan
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_training_on_a_spilled_corpus_equals_training_in_memory(tmp_path):
    cfg = TrainConfig(dim=16, window=3, negative=5, epochs=1, min_count=2, seed=5, deterministic=True,
                      backend="tf", batch_size=512)
    mem = train(prepare(TextSource.from_text(TEXT), cfg), cfg)
    prep = prepare(scan_corpus([TextSource.from_text(TEXT)], spill_dir=tmp_path, spill_threshold=0), cfg)
    assert prep.corpus.on_disk
    disk = train(prep, cfg)
    assert mem.words == disk.words and np.array_equal(mem.vectors, disk.vectors)
    prep.close()
    assert list(tmp_path.iterdir()) == []


class _FillingFile:
    """A real file whose disk fills up after `room` bytes."""
    written = 0

    def __init__(self, f, room: int):
        self.f, self.room = f, room

    def write(self, data):
        n = memoryview(data).nbytes
        if _FillingFile.written + n > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        _FillingFile.written += n
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)


def test_disk_full_while_writing_gives_a_clear_message(tmp_path, monkeypatch):
    _FillingFile.written = 0
    monkeypatch.setattr(corpus_store, "open", lambda path, mode: _FillingFile(open(path, mode), 20_000),
                        raising=False)  # ArrayWriter's own open(): the real write path fails
    with pytest.raises(CorpusError, match="disk is full") as info:
        scan_corpus([TextSource.from_text(TEXT)], spill_dir=tmp_path, spill_threshold=0)
    assert "TMPDIR" in str(info.value) and str(tmp_path) in str(info.value)
    assert _FillingFile.written > 0  # it failed part-way, not at the start
    assert list(tmp_path.iterdir()) == []  # the half-written scan is removed


def test_scan_progress_reports_bytes_rate_and_eta(tmp_path, small_ranges):
    path = tmp_path / "t.txt"
    path.write_text(TEXT * 3, encoding="utf-8")
    seen = []
    scan_corpus([TextSource.from_path(path)], progress=lambda f, m: seen.append((f, m)), workers=2)
    assert seen and seen[-1][0] == pytest.approx(1.0)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert all("MB" in m and "words/s" in m and "ETA" in m and "t.txt" in m for _, m in seen)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_a_scan_and_removes_its_files(tmp_path, small_ranges, workers):
    path = tmp_path / "t.txt"
    path.write_text(TEXT * 3, encoding="utf-8")
    spill = tmp_path / "spill"
    token = CancelToken()
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        token.cancel()

    with pytest.raises(TrainingCancelled):
        scan_corpus([TextSource.from_path(path)], progress=progress, cancel=token, workers=workers,
                    spill_dir=spill, spill_threshold=0)
    assert calls and calls[-1] < 1.0
    assert list(spill.iterdir()) == []


def test_train_passes_cancel_to_the_scan(tmp_path):
    token = CancelToken()
    token.cancel()
    cfg = TrainConfig(dim=8, epochs=1, min_count=1)
    with pytest.raises(TrainingCancelled):
        prepare(TextSource.from_text(TEXT), cfg, cancel=token)
    with pytest.raises(TrainingCancelled):
        train([TextSource.from_text(TEXT)], cfg, cancel=token)


def test_release_pages_drops_a_mapped_array_from_rss(tmp_path):
    psutil = pytest.importorskip("psutil")
    with corpus_store.ArrayWriter(tmp_path / "big.npy", np.int32) as w:
        for _ in range(16):
            w.append(np.ones(1 << 20, np.int32))  # 64 MiB
    arr = corpus_store.open_array(tmp_path / "big.npy")
    proc = psutil.Process()
    before = proc.memory_info().rss
    assert int(arr.sum()) == 16 << 20  # touches every page
    touched = proc.memory_info().rss
    corpus_store.release_pages(arr[5:10])  # a slice: the mapping of its base is released
    after = proc.memory_info().rss
    assert touched - before > 48 << 20 and touched - after > 48 << 20
    assert int(arr[-1]) == 1  # still readable after the release


def test_spill_dir_creation_failure_is_a_corpus_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CorpusError, match="temporary folder"):
        scan_corpus([TextSource.from_text(TEXT)], spill_dir=Path(blocker) / "sub", spill_threshold=0)


def test_bench_scale_corpora_are_prefixes_of_one_seeded_stream(tmp_path):
    from bench.scale import build_corpora
    from trainer import tokenize
    sample = tmp_path / "sample.txt"
    sample.write_text(TEXT, encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = build_corpora(sample, (3_000, 20_000), tmp_path / "a")
    b = build_corpora(sample, (20_000,), tmp_path / "b")
    small, big = a
    for c in a:
        raw = c["raw"].read_text(encoding="utf-8")
        assert c["words"] >= c["size"] and len(tokenize(raw)) == c["words"]
        assert c["tok"].read_text(encoding="utf-8").split() == tokenize(raw)  # gensim sees the same tokens
    assert big["raw"].read_text(encoding="utf-8").startswith(small["raw"].read_text(encoding="utf-8"))
    assert b[0]["raw"].read_bytes() == big["raw"].read_bytes()  # fixed seed: the same corpus every time


def test_cli_prints_scan_progress(tmp_path, capsys):
    from trainer.__main__ import main
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert main([str(path), "--out", str(tmp_path / "run"), "--epochs", "1", "--dim", "8", "--min-count", "2"]) == 0
    err = capsys.readouterr().err
    assert "reading t.txt:" in err and "words/s" in err and "ETA" in err
    words = scan_corpus([TextSource.from_path(path)]).stats.tokens
    assert re.search(rf"read {words:,} words in [0-9.]+ s \(1 process\(es\)\)", err)  # the line after the scan


def test_workers_do_not_rerun_the_main_script(tmp_path, small_ranges, monkeypatch, caplog):
    """Under Streamlit, sys.modules["__main__"] is app.py: spawned workers must not run it."""
    import sys
    import types

    script = tmp_path / "app_like.py"
    script.write_text("raise SystemExit('a worker ran the main script')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    path = tmp_path / "big.txt"
    path.write_text(TEXT, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        scan = scan_corpus([TextSource.from_path(path)], workers=2)
    assert scan.stats.scan_workers == 2 and scan.store.n_blocks > 10
    assert not [r for r in caplog.records if "parallel scan" in r.getMessage()]
    assert sys.modules["__main__"] is fake_main  # put back as it was
