"""Reading, standardising and encoding text."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import ConfigError, CorpusError, TextSource, TrainConfig, prepare, scan_corpus, text_source, tokenize


def test_tokenize_unicode_and_inner_punctuation():
    text = "Don't STOP—the well-known café's naïve Ελληνικά हिन्दी 123 foo_bar it’s 'quoted' -dash"
    assert tokenize(text) == ["don't", "stop", "the", "well-known", "café's", "naïve", "ελληνικά", "हिन्दी", "123",
                              "foo", "bar", "it’s", "quoted", "dash"]
    assert tokenize("Hello, World!", lowercase=False) == ["Hello", "World"]
    assert tokenize("Hello, World!", strip_punctuation=False) == ["hello,", "world!"]


def test_scan_counts_lines_and_skips_empty_ones(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("the cat sat\n\n  \nthe dog\n", encoding="utf-8")
    scan = scan_corpus([TextSource.from_path(p)])
    assert scan.stats.lines == 4 and scan.stats.empty_lines == 2 and scan.stats.sentences == 2
    assert scan.stats.tokens == 5 and scan.stats.types == 4
    assert dict(zip(scan.types, scan.type_counts.tolist()))["the"] == 2
    assert scan.stats.encodings == {"a.txt": "utf-8"}


def test_long_lines_are_split_never_truncated():
    line = " ".join(f"w{i % 7}" for i in range(2500))
    scan = scan_corpus([TextSource.from_text(line + "\nshort line\n")], max_sentence_len=1000)
    assert scan.sentence_lengths.tolist() == [1000, 1000, 500, 2]
    assert scan.stats.tokens == 2502 and scan.stats.long_lines_split == 1


def test_encoding_fallback_is_reported(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("café crème déjà vu\n“smart quotes” – dash\n".encode("cp1252"))
    scan = scan_corpus([TextSource.from_path(p)])
    assert scan.stats.encodings["latin.txt"] == "cp1252"
    assert "café" in scan.types and "déjà" in scan.types
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfhello world\n")
    s2 = scan_corpus([TextSource.from_path(bom)])
    assert s2.stats.encodings["bom.txt"] == "utf-8-sig" and s2.types == ["hello", "world"]


def test_streaming_blocks_do_not_split_lines_or_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(text_source, "BLOCK_BYTES", 7)  # tiny blocks: boundaries fall inside words and UTF-8
    text = "ünïcödé wörds here\nsecond line ok\n" * 20
    p = tmp_path / "u.txt"
    p.write_text(text, encoding="utf-8")
    for src in (TextSource.from_path(p), TextSource.from_text(text)):
        scan = scan_corpus([src])
        assert scan.stats.sentences == 40 and scan.sentence_lengths.tolist() == [3, 3] * 20
        assert set(scan.types) == {"ünïcödé", "wörds", "here", "second", "line", "ok"}


def test_vocabulary_min_count_max_vocab_and_oov_dropped():
    text = "a a a a b b b c c d\n" * 3 + "d e\n"
    scan = scan_corpus([TextSource.from_text(text)])
    v = scan.vocabulary(min_count=4)
    assert v.words == ["a", "b", "c", "d"] and v.counts.tolist() == [12, 9, 6, 4]
    assert scan.vocabulary(min_count=1, max_vocab=2).words == ["a", "b"]
    enc = scan.encode(scan.vocabulary(min_count=7))  # only a (12) and b (9) survive
    assert enc.n_tokens == 21 and enc.n_sentences == 3  # the "d e" line vanishes entirely
    assert set(np.unique(enc.ids).tolist()) == {0, 1}


def test_errors_are_raised_before_training_and_name_the_parameter():
    src = TextSource.from_text("one two three four\n" * 10)
    with pytest.raises(ConfigError, match="negative"):
        prepare(src, TrainConfig(min_count=1, negative=5))  # 4 words < negative + 1
    with pytest.raises(ConfigError, match="window"):
        prepare(src, TrainConfig(window=0))
    with pytest.raises(ConfigError, match="min_count"):
        prepare(src, TrainConfig(min_count=50))
    with pytest.raises(CorpusError, match="no words"):
        prepare(TextSource.from_text("... !!! ,,,\n"), TrainConfig())
    with pytest.raises(CorpusError, match="no such file"):
        prepare(["/nonexistent/file.txt"], TrainConfig())
    with pytest.raises(CorpusError, match="two words"):
        prepare(TextSource.from_text("\n".join(f"w{i % 9}" for i in range(200))), TrainConfig(min_count=1, negative=2))


_text = st.lists(st.text(alphabet=st.sampled_from(list("ab cé'-\n\t.Ω1")), max_size=40), max_size=30).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(text=_text, max_len=st.integers(2, 6))
def test_scan_agrees_with_tokenize_line_by_line(text, max_len):
    lines = [tokenize(line) for line in text.split("\n")]
    scan = scan_corpus([TextSource.from_text(text)], max_sentence_len=max_len)
    assert scan.stats.tokens == sum(len(t) for t in lines)
    assert scan.line_lengths.tolist() == [len(t) for t in lines if t]
    assert all(0 < n <= max_len for n in scan.sentence_lengths)
    assert int(scan.sentence_lengths.sum()) == scan.stats.tokens
    words = [w for t in lines for w in t]
    assert [scan.types[i] for i in scan.pids] == words
    if words:
        enc = scan.encode(scan.vocabulary(min_count=1))
        assert enc.n_tokens == len(words) and enc.offsets[-1] == len(words)
