"""Export tab: the download buttons through AppTest, and the files they produce."""
from __future__ import annotations

import csv
import io
import zipfile

from conftest import make_app, open_tab, train

from explorer import load_projector, load_vectors
from explorer.exports import (
    all_neighbours_csv,
    bundle_zip,
    metadata_tsv,
    vectors_tsv,
    word2vec_binary,
    word2vec_text,
)
from trainer import RunResult


def test_export_tab_offers_every_file_and_the_files_load_back(tiny_text, tmp_path):
    at = open_tab(make_app(tiny_text), "export")
    assert any("Nothing to export yet" in i.value for i in at.info)
    run = train(at)
    open_tab(at, "explore").text_input(key="explore_word").input("citizen").run()
    open_tab(at, "export")
    assert at.session_state["explore_word"] == "citizen"  # kept while the Explore tab is closed
    keys = {b.key for b in at.download_button}
    assert {"export_vectors_tsv", "export_metadata_tsv", "export_word2vec", "export_word2vec_bin", "export_bundle",
            "export_map_csv", "export_neighbours_csv", "export_all_neighbours_csv"} <= keys
    assert not at.exception
    vec = run.vectors

    back = load_projector(vectors_tsv(vec), metadata_tsv(vec))
    assert back.words == vec.words and (back.counts == vec.counts).all()
    assert abs(back.matrix - vec.matrix).max() < 1e-6
    for data in (word2vec_text(vec), word2vec_binary(vec)):
        again = load_vectors(data, name="w2v")
        assert again.words == vec.words and abs(again.matrix - vec.matrix).max() < 1e-6

    with zipfile.ZipFile(io.BytesIO(bundle_zip(vec, run.result, str(tmp_path)))) as zf:
        names = set(zf.namelist())
        assert {"run.json", "vocab.json", "counts.npy", "vectors.npy", "vectors.tsv", "metadata.tsv",
                "vectors.txt", "README.txt"} <= names
        zf.extractall(tmp_path / "bundle")
    loaded = RunResult.load(tmp_path / "bundle")
    assert loaded.words == list(vec.words) and loaded.config == run.config

    rows = list(csv.DictReader(io.StringIO(all_neighbours_csv(vec, 20, 10))))
    assert len(rows) == 200 and rows[0]["query"] == vec.words[0] and rows[0]["rank"] == "1"
