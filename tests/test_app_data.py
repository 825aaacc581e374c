"""Data tab and sidebar through AppTest: the sample by default, pasted and uploaded text, bad input."""
from __future__ import annotations

import io
import zipfile

from conftest import APP, make_app, open_tab

from ui.sidebar import DEFAULT_PRESET, preset_values


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_sample_is_selected_and_ready_to_train():
    at = make_app()
    assert at.radio(key="data_source").value == "sample"
    m = metrics(at)
    assert m["Lines"] == "40,000" and m["Encoding"] == "utf-8" and int(m["Vocabulary"].replace(",", "")) > 1000
    assert any("No obvious problems" in s.value for s in at.success)
    assert [t.label for t in at.tabs] == [":material/description: Data", ":material/model_training: Train",
                                          ":material/explore: Explore", ":material/compare_arrows: Compare",
                                          ":material/download: Export"]
    open_tab(at, "train")
    assert not at.button(key="train_start").disabled and not at.exception
    assert "Lines" not in [m.label for m in at.metric]  # only the open tab does its work
    for tab, hint in (("explore", "Nothing to explore yet"), ("compare", "Comparing needs two finished runs"),
                      ("export", "Nothing to export yet")):  # helpful empty states
        assert any(hint in i.value for i in open_tab(at, tab).info) and not at.exception


def test_pasted_text_gets_a_report_with_warnings(tiny_text):
    at = make_app(tiny_text)
    m = metrics(at)
    assert m["Lines"] == "300" and m["Size"].endswith("KB")
    assert any("words of text" in w.value for w in at.warning)
    at.text_area(key="data_paste").input("<b>1 2 3</b> &amp; 42\n" * 60).run()
    texts = " ".join(w.value for w in at.warning)
    assert "markup" in texts and "numbers" in texts and "repeat" in texts
    assert not at.exception


def test_empty_paste_shows_what_to_do():
    at = make_app()
    at.radio(key="data_source").set_value("paste").run()
    assert any("Paste some text" in i.value for i in at.info)
    open_tab(at, "train")
    assert at.button(key="train_start").disabled
    assert any("Choose some text on the **Data** tab" in i.value for i in at.info)


def test_upload_text_and_csv_files():
    at = make_app()
    at.radio(key="data_source").set_value("upload").run()
    assert any("Drop one or more text files" in i.value for i in at.info)
    csv = b"id,text\n" + b"1,the quick brown fox jumps over the lazy dog\n2,the dog sleeps in the sun all day\n" * 30
    at.file_uploader(key="data_upload").set_value([
        ("story.txt", b"once upon a time there was a fox\nthe fox ran far away\n" * 40, "text/plain"),
        ("reviews.csv", csv, "text/csv")]).run()
    assert not at.exception and not at.error
    col = at.selectbox(key=[k for k in at.session_state if str(k).startswith("data_csv_col_")][0])
    assert col.value == "text" and col.options == ["id", "text"]
    before = metrics(at)
    assert before["Lines"] == str(80 + 60)
    col.set_value("id").run()
    after = metrics(at)
    assert not at.exception and after["Lines"] == before["Lines"]
    assert after["Distinct words"] != before["Distinct words"]


def test_bad_uploads_get_a_sentence_not_a_traceback():
    at = make_app()
    at.radio(key="data_source").set_value("upload").run()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../outside.txt", "sneaky")
    at.file_uploader(key="data_upload").set_value(("evil.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert any("unsafe path" in e.value for e in at.error)
    at.file_uploader(key="data_upload").set_value(("binary.txt", bytes(range(256)) * 40, "text/plain")).run()
    assert not at.exception and any("does not look like text" in e.value for e in at.error)


def test_bad_setting_gets_a_sentence_and_blocks_start(tiny_text):
    at = make_app(tiny_text)
    open_tab(at, "train")
    at.number_input(key="cfg_batch_size").set_value(5).run()
    errors = [e.value for e in at.error]
    assert any("Batch size (batch_size=5) is not allowed" in e and "sidebar" in e for e in errors)
    assert at.button(key="train_start").disabled and not at.exception
    at.number_input(key="cfg_batch_size").set_value(0)
    at.number_input(key="cfg_min_count").set_value(1000).run()  # vocabulary too small for negative sampling
    assert any("Lower min" in e.value for e in at.error) and at.button(key="train_start").disabled


def test_presets_fill_the_settings():
    at = make_app()
    assert at.selectbox(key="cfg_preset").value == "quick demo"
    at.selectbox(key="cfg_preset").set_value("word2vec defaults").run()
    assert at.number_input(key="cfg_dim").value == 100 and at.number_input(key="cfg_min_count").value == 5
    at.selectbox(key="cfg_preset").set_value("tutorial").run()
    assert at.selectbox(key="cfg_optimizer").value == "adam" and at.number_input(key="cfg_max_vocab").value == 4096
    at.number_input(key="cfg_epochs").set_value(7).run()
    assert any("Changed from the preset: Epochs" in c.value for c in at.sidebar.caption)


def test_a_new_session_starts_on_the_quick_demo_preset():
    """Issue 10: twice a new session showed "Word2vec defaults". trainer.PRESETS lists that preset first, and a
    select box falls back to its first option; the default is listed first and a lost value is reset to it."""
    from streamlit.testing.v1 import AppTest

    quick = preset_values(DEFAULT_PRESET)

    def fresh():
        at = AppTest.from_file(APP, default_timeout=90).run()  # a new browser session: nothing set beforehand
        assert not at.exception, at.exception
        return at

    first = fresh()
    box = first.selectbox(key="cfg_preset")
    assert DEFAULT_PRESET == "quick demo" and box.value == "quick demo"
    assert box.index == 0 and box.options[0] == "Quick demo"  # a select box's fallback is its first option
    assert first.number_input(key="cfg_dim").value == quick["cfg_dim"] == 50
    assert first.number_input(key="cfg_lr").value == quick["cfg_lr"]
    assert not any("Changed from the preset" in c.value for c in first.sidebar.caption)
    assert first.session_state["session_model"].last_config.dim == 50  # the Data tab's report uses the same
    first.selectbox(key="cfg_preset").set_value("word2vec defaults").run()
    assert first.number_input(key="cfg_dim").value == 100  # the first session really changed its preset

    second = fresh()  # the same server process, after the first session switched
    assert second.selectbox(key="cfg_preset").value == "quick demo"
    assert second.number_input(key="cfg_dim").value == 50 and second.number_input(key="cfg_min_count").value == 3
    assert first.selectbox(key="cfg_preset").value == "word2vec defaults"  # sessions do not share it
