"""trainer.ingest: uploaded files -> text sources (pure logic; AppTest covers the widgets)."""
from __future__ import annotations

import io
import zipfile

import pytest

from trainer import scan_corpus
from trainer.ingest import IngestError, csv_columns, ingest_uploads, read_zip, safe_name


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_text_files_become_sources_in_the_session_dir(tmp_path):
    got = ingest_uploads([("a.txt", b"the cat sat\n"), ("notes.md", b"# title\nthe dog ran\n")], tmp_path)
    assert [s.name for s in got.sources] == ["a.txt", "notes.md"]
    assert all(s.path.parent == tmp_path and s.path.is_file() for s in got.sources)
    assert scan_corpus(got.sources).stats.tokens == 7
    again = ingest_uploads([("a.txt", b"the cat sat\n"), ("notes.md", b"# title\nthe dog ran\n")], tmp_path)
    assert again.digest == got.digest  # the cache key depends on content only
    other = ingest_uploads([("a.txt", b"the cat sat down\n")], tmp_path)
    assert other.digest != got.digest


def test_zip_members_are_read_and_other_files_skipped(tmp_path):
    data = make_zip({"corpus/one.txt": b"alpha beta\n", "corpus/two.md": b"gamma\n", "img.png": b"\x89PNG",
                     "__MACOSX/._one.txt": b"junk", "corpus/empty.txt": b""})
    got = ingest_uploads([("texts.zip", data)], tmp_path)
    assert [s.name for s in got.sources] == ["texts.zip/corpus/one.txt", "texts.zip/corpus/two.md"]
    assert any("img.png" in n for n in got.notes) and any("empty" in n for n in got.notes)


@pytest.mark.parametrize("evil", ["../escape.txt", "/etc/passwd.txt", "a/../../b.txt", "C:/win.txt"])
def test_zip_path_traversal_is_rejected(tmp_path, evil):
    with pytest.raises(IngestError, match="unsafe path"):
        ingest_uploads([("evil.zip", make_zip({"ok.txt": b"fine\n", evil: b"bad\n"}))], tmp_path)
    assert not any(p.name.endswith(("escape.txt", "passwd.txt", "b.txt")) for p in tmp_path.parent.rglob("*"))


def test_zip_total_size_is_capped(tmp_path):
    data = make_zip({"big.txt": b"word " * 50_000})  # 250 kB uncompressed, tiny compressed
    with pytest.raises(IngestError, match="limit"):
        read_zip(data, "bomb.zip", budget=100_000)
    with pytest.raises(IngestError, match="limit"):
        ingest_uploads([("bomb.zip", data)], tmp_path, max_unzipped=100_000)


def test_bad_zip_and_zip_without_text(tmp_path):
    with pytest.raises(IngestError, match="not a readable .zip"):
        ingest_uploads([("broken.zip", b"PK\x03\x04 not really")], tmp_path)
    with pytest.raises(IngestError, match="no .txt or .md"):
        ingest_uploads([("pics.zip", make_zip({"a.jpg": b"x"}))], tmp_path)


def test_csv_column_is_guessed_and_can_be_chosen(tmp_path):
    data = b'id,review,stars\n1,"A lovely, warm film",5\n2,"Dull and far too long",1\n3,"Fine",3\n'
    assert csv_columns(data, "r.csv") == ["id", "review", "stars"]
    got = ingest_uploads([("r.csv", data)], tmp_path)
    assert got.csv_choices == {"r.csv": ["id", "review", "stars"]} and got.csv_used == {"r.csv": "review"}
    assert got.sources[0].path.read_text().splitlines() == ["A lovely, warm film", "Dull and far too long", "Fine"]
    chosen = ingest_uploads([("r.csv", data)], tmp_path, {"r.csv": "stars"})
    assert chosen.csv_used == {"r.csv": "stars"} and chosen.digest != got.digest
    tsv = ingest_uploads([("r.tsv", b"text\tlabel\nhello there\tx\n")], tmp_path)
    assert tsv.csv_used == {"r.tsv": "text"}


def test_unusable_uploads_give_sentences(tmp_path):
    with pytest.raises(IngestError, match="no files"):
        ingest_uploads([], tmp_path)
    with pytest.raises(IngestError, match="cannot be used"):
        ingest_uploads([("doc.pdf", b"%PDF")], tmp_path)
    with pytest.raises(IngestError, match="holds any text"):
        ingest_uploads([("empty.txt", b"  \n")], tmp_path)
    with pytest.raises(IngestError, match="header"):
        ingest_uploads([("e.csv", b"\n\n")], tmp_path)


def test_safe_name_strips_folders_and_odd_characters():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\my file (1).txt") == "my_file_1_.txt"
    assert safe_name("...") == "file"
