"""Vectors type and loaders: word2vec text/binary, GloVe, Embedding Projector TSV, trainer runs; malformed files."""
from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import (
    UnknownWordError,
    Vectors,
    VectorsFormatError,
    detect_format,
    load_glove,
    load_projector,
    load_vectors,
    load_word2vec,
)
from trainer.result import projector_metadata_tsv, projector_vectors_tsv, word2vec_bytes

try:
    from explorer_fixtures import make_run, random_vectors, tiny_vectors
except ImportError:  # tests/ imported as a package
    from tests.explorer_fixtures import make_run, random_vectors, tiny_vectors

WORDS = ["the", "king", "<script>alert(1)</script>", "**bold**", "$x$", "naïve", "a,b", 'qu"ote', "日本"]


@pytest.fixture
def sample() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(1)
    return WORDS, rng.standard_normal((len(WORDS), 7)).astype(np.float32)


# ------------------------------------------------------------------ the type
def test_vectors_basics_and_frequency_order():
    v = Vectors(["b", "a", "c"], np.eye(3), counts=[5, 9, 1], name="x")
    assert v.words == ("a", "b", "c")  # sorted most frequent first, stably
    assert v.counts.tolist() == [9, 5, 1] and v.vector("a").tolist() == [0, 1, 0]
    assert len(v) == 3 and v.dim == 3 and "a" in v and "z" not in v and v.count("b") == 5
    assert not v.matrix.flags.writeable and not v.unit.flags.writeable
    with pytest.raises(ValueError):
        v.matrix[0, 0] = 1.0
    z = Vectors(["p", "q"], [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(z.unit, [[0.0, 0.0], [0.6, 0.8]])
    assert z.counts is None
    t = random_vectors(50).top(10)
    assert len(t) == 10 and t.words == random_vectors(50).words[:10]


def test_vectors_does_not_freeze_the_callers_array():
    m = np.ones((2, 2), dtype=np.float32)
    Vectors(["a", "b"], m)
    m[0, 0] = 5.0  # still writable


@pytest.mark.parametrize("words, matrix, counts, problem", [
    (["a", "a"], np.eye(2), None, "duplicate word 'a'"),
    (["a", "b"], [[1.0, np.nan], [0.0, 1.0]], None, "NaN"),
    (["a", "b"], np.eye(3), None, "2 words but a matrix"),
    (["a", "b"], np.eye(2), [1, -1], "negative"),
    ([], np.zeros((0, 2)), None, "no vectors"),
])
def test_vectors_rejects_bad_arrays(words, matrix, counts, problem):
    with pytest.raises(ValueError, match=problem):
        Vectors(words, matrix, counts)


def test_fingerprint_depends_on_content_not_name():
    a, b = random_vectors(30, seed=1), random_vectors(30, seed=1)
    b.name = "other"
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 32
    m = a.matrix.copy()
    m[3, 2] += 1e-3
    assert Vectors(a.words, m, a.counts).fingerprint != a.fingerprint
    assert Vectors(a.words, a.matrix).fingerprint != a.fingerprint  # counts are part of it


def test_unknown_word_suggests_spellings():
    v = tiny_vectors()
    with pytest.raises(KeyError) as info:
        v.index_of("kign")
    err = info.value
    assert isinstance(err, UnknownWordError) and err.word == "kign" and "king" in err.suggestions
    assert str(err).startswith("'kign' is not in the vocabulary (10 words); did you mean 'king'")
    assert tiny_vectors().suggest("QUEEN")[0] == "queen"


# ---------------------------------------------------------------- word2vec
@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_matches_gensim(tmp_path, sample, binary):
    from gensim.models import KeyedVectors

    words, m = sample
    path = tmp_path / ("v.bin" if binary else "v.txt")
    path.write_bytes(word2vec_bytes(words, m, binary=binary))
    ref = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    for source in (path, str(path), path.read_bytes(), io.BytesIO(path.read_bytes())):
        v = load_vectors(source, name="upload")
        assert v.meta["format"] == ("word2vec-binary" if binary else "word2vec-text")
        assert list(v.words) == ref.index_to_key == [w.replace(" ", "_") for w in words]
        np.testing.assert_allclose(v.matrix, ref.vectors, rtol=1e-6)
    assert load_word2vec(path, binary=binary).fingerprint == v.fingerprint


_word = st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(_word, min_size=1, max_size=12, unique=True), dim=st.integers(1, 6), binary=st.booleans(),
       seed=st.integers(0, 1000))
def test_word2vec_round_trip_property(words, dim, binary, seed):
    m = np.random.default_rng(seed).standard_normal((len(words), dim)).astype(np.float32) * 100
    v = load_word2vec(word2vec_bytes(words, m, binary=binary), name="h")
    assert list(v.words) == words
    np.testing.assert_array_equal(v.matrix, m)  # %.9g and raw float32 are both exact


def test_word2vec_limit_reads_the_first_words_only(sample):
    words, m = sample
    for binary in (False, True):
        v = load_word2vec(word2vec_bytes(words, m, binary=binary), limit=3)
        assert list(v.words) == words[:3]
    with pytest.raises(VectorsFormatError, match="over the limit of 5"):
        load_word2vec(word2vec_bytes(words, m), max_words=5)


def test_text_quirks_crlf_bom_trailing_spaces_and_text_file_objects():
    data = "\ufeff2 3\r\nfoo 1 2 3 \r\nbar 4 5 6\r\n\r\n"
    v = load_vectors(io.StringIO(data))
    assert v.words == ("foo", "bar") and v.matrix.tolist() == [[1, 2, 3], [4, 5, 6]]


# ---------------------------------------------------------- GloVe, projector
def test_glove(tmp_path):
    p = tmp_path / "glove.txt"
    p.write_text("the 0.1 0.2 0.3\n, 1 2 3\n<b>x</b> -1e-3 4 5\n", encoding="utf-8")
    v = load_vectors(p)
    assert v.meta["format"] == "glove" and v.words == ("the", ",", "<b>x</b>") and v.dim == 3
    assert load_glove(p, limit=2).words == ("the", ",")
    with pytest.raises(VectorsFormatError, match="word2vec"):
        load_glove(b"2 3\na 1 2 3\nb 1 2 3\n")


def test_projector_with_header_metadata_from_trainer(tmp_path, sample):
    words, m = sample
    counts = np.array([3, 50, 2, 7, 9, 1, 4, 8, 6])
    (tmp_path / "vectors.tsv").write_text(projector_vectors_tsv(m), encoding="utf-8")
    (tmp_path / "metadata.tsv").write_text(projector_metadata_tsv(words, counts), encoding="utf-8")
    v = load_projector(tmp_path / "vectors.tsv", tmp_path / "metadata.tsv")
    order = np.argsort(-counts, kind="stable")
    assert v.words == tuple(words[i] for i in order) and v.counts.tolist() == counts[order].tolist()
    np.testing.assert_array_equal(v.matrix, m[order])
    v2 = load_vectors((tmp_path / "vectors.tsv").read_bytes(), format="projector",
                      metadata=(tmp_path / "metadata.tsv").read_bytes())
    assert v2.fingerprint == v.fingerprint


def test_projector_metadata_variants(sample):
    words, m = sample
    vec_tsv = projector_vectors_tsv(m).encode()
    plain = ("\n".join(words) + "\n").encode()
    assert load_projector(vec_tsv, plain).words == tuple(words)
    headed = ("word\n" + "\n".join(words) + "\n").encode()  # one column with a header line
    assert load_projector(vec_tsv, headed).words == tuple(words)
    multi = ("count\tlabel\n" + "\n".join(f"{i}\t{w}" for i, w in enumerate(words)) + "\n").encode()
    v = load_projector(vec_tsv, multi)
    assert v.words[0] == words[-1] and v.counts[0] == len(words) - 1  # sorted by count
    assert load_projector(vec_tsv, projector_metadata_tsv(words, None).encode()).counts is None
    assert load_projector(vec_tsv).words[:3] == ("0", "1", "2")
    assert detect_format(vec_tsv) == "projector"


# ------------------------------------------------------------------ runs
def test_run_directory_and_in_memory_result(tmp_path):
    base = random_vectors(40, dim=8)
    run = make_run(list(base.words), base.matrix, base.counts)
    v1 = Vectors.from_run(run)
    run.save(tmp_path / "demo")
    v2 = load_vectors(tmp_path / "demo")
    assert v1.fingerprint == v2.fingerprint == base.fingerprint
    assert v2.name == "demo" and v2.meta["format"] == "run" and v2.meta["partial"] is True
    assert len(load_vectors(tmp_path / "demo", limit=5)) == 5
    (tmp_path / "demo" / "vocab.json").unlink()
    with pytest.raises(VectorsFormatError, match="missing vocab.json"):
        load_vectors(tmp_path / "demo")


# ------------------------------------------------------------ malformed files
BAD = [
    ("word2vec", b"3 2\na 1 2\nb 1 2\n", 1, "header says 3 words but the file has 2"),
    ("word2vec", b"2 3\na 1 2 3\nb 1 2\n", 3, "ragged row: expected 3 numbers after the word, found 2"),
    ("word2vec", b"2 2\na 1 x\nb 1 2\n", 2, "'x' is not a number"),
    ("word2vec", b"2 2\na 1 nan\nb 1 2\n", 2, "NaN or infinite"),
    ("word2vec", b"2 2\na 1 2\nb 1e40 2\n", 3, "NaN or infinite"),
    ("word2vec", b"2 2\na 1 2\na 3 4\n", 3, "duplicate word 'a' (first on line 2)"),
    ("unknown", b"1 2 x\n3 4 y\n", 1, "cannot tell the format"),
    ("glove", b"a 1 2\nb 1 2 3\n", 2, "ragged row"),
    ("glove", b"a 1 2\n\nb 1 2\n", 2, "empty line"),
    ("glove", b"a 1 2\n\xff 1 2\n", 2, "not valid UTF-8"),
    ("glove", b"a 1 2\nb 1 2\nc 3 4\n", None, "3 words is over the limit of 2"),
    ("projector", b"1\t2\n3\n", 2, "ragged row: expected 2 numbers, found 1"),
    ("projector", b"1\t2\n3\tinf\n", 2, "NaN or infinite"),
    ("metadata", b"word\tcount\nthe\t5\nof\t3\n", 1, "no numbers on the first line"),
]


@pytest.mark.parametrize("kind, data, line, problem", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_malformed_files_name_file_line_and_problem(kind, data, line, problem):
    kw = {"max_words": 2} if "limit of 2" in problem else {}
    with pytest.raises(VectorsFormatError) as info:
        load_vectors(data, name=f"bad-{kind}.txt", **kw)
    err = info.value
    assert err.source == f"bad-{kind}.txt" and err.line == line and problem in err.problem
    assert str(err).startswith(f"bad-{kind}.txt" + (f", line {line}: " if line else ": "))


def test_malformed_binary_word2vec():
    with pytest.raises(VectorsFormatError, match="line 1: expected a 'vocab_size dim' header"):
        load_word2vec(b"two 2\na 1 2\n", name="h.txt")
    m = np.ones((2, 3), dtype=np.float32)
    good = word2vec_bytes(["a", "b"], m, binary=True)
    with pytest.raises(VectorsFormatError, match=r"entry 2 \(byte \d+\): the file ends inside the vector of 'b'"):
        load_word2vec(good[:-6], name="cut.bin", binary=True)
    with pytest.raises(VectorsFormatError, match="more data follows entry 2"):
        load_word2vec(good + b"c " + m[0].tobytes(), binary=True)
    with pytest.raises(VectorsFormatError, match="entry 2: duplicate word 'a'"):
        load_word2vec(word2vec_bytes(["a", "a"], m, binary=True), binary=True)
    bad = m.copy()
    bad[1, 1] = np.inf
    with pytest.raises(VectorsFormatError, match=r"entry 2 \('b'\): NaN or infinite"):
        load_word2vec(word2vec_bytes(["a", "b"], bad, binary=True))


def test_metadata_mismatch_and_duplicates(sample):
    words, m = sample
    vec_tsv = projector_vectors_tsv(m).encode()
    with pytest.raises(VectorsFormatError, match="8 labels for 9 vectors") as info:
        load_projector(vec_tsv, ("\n".join(words[:-1]) + "\n").encode(), metadata_name="meta.tsv")
    assert info.value.source == "meta.tsv"
    dup = ("word\tcount\n" + "\n".join(f"{w}\t1" for w in [*words[:-1], "the"]) + "\n").encode()
    with pytest.raises(VectorsFormatError, match="duplicate word 'the' \\(first on line 2\\)") as info:
        load_projector(vec_tsv, dup)
    assert info.value.line == 10
    with pytest.raises(VectorsFormatError, match="'x' is not a whole number"):
        load_projector(b"1\n2\n", b"word\tcount\na\t3\nb\tx\n")


def test_gzip_files_are_decompressed_within_the_cap(tmp_path, sample):
    words, m = sample
    raw = word2vec_bytes(words, m, binary=True)
    path = tmp_path / "v.bin.gz"
    path.write_bytes(gzip.compress(raw))
    assert load_vectors(path).words == tuple(words)
    with pytest.raises(VectorsFormatError, match="decompresses to more than the limit of 100 bytes"):
        load_vectors(gzip.compress(b"0" * 10_000), max_bytes=100)
    with pytest.raises(VectorsFormatError, match="damaged gzip"):
        load_vectors(b"\x1f\x8b" + b"garbage" * 5)


def test_size_cap_in_bytes_and_bad_source_types(tmp_path):
    with pytest.raises(VectorsFormatError, match="the limit is 10"):
        load_vectors(b"a 1 2 3 4 5 6\n", max_bytes=10)
    with pytest.raises(TypeError):
        load_vectors(12345)
    with pytest.raises(FileNotFoundError):
        load_vectors(tmp_path / "nope.txt")


def test_importing_and_using_explorer_never_loads_streamlit_or_tensorflow():
    code = (
        "import sys, numpy as np, explorer as ex\n"
        "v = ex.Vectors([f'w{i}' for i in range(20)], np.random.default_rng(0).normal(size=(20, 5)))\n"
        "ex.map_figure(ex.compute_map(v, 'pca', 20)); ex.kmeans_clusters(v, 20, k=3)\n"
        "ex.projection.import_umap()\n"
        "bad = sorted(m for m in ('streamlit', 'tensorflow') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
