"""The sidebar: every training parameter, grouped, gathered into one TrainConfig.

Only the returned config reaches the logic. Presets write their values into the widgets' session-state
keys (through the preset box's on_change), so a preset is a starting point the user can then edit.

A new session starts on DEFAULT_PRESET ("quick demo"). The preset box lists it first (preset_options):
trainer.PRESETS begins with "word2vec defaults", and a select box whose session-state value is missing
or not among its options falls back to its first option, which is how a session could show "Word2vec
defaults" while its settings were the quick demo's (issue 10).
"""
from __future__ import annotations

import logging

import streamlit as st

from trainer import PRESETS, ConfigError, TrainConfig

DEFAULT_PRESET = "quick demo"
PRESET_HELP = {
    "quick demo": "small vectors, a few passes: trains on the sample in seconds",
    "word2vec defaults": "the settings of Google's original word2vec tool (and gensim)",
    "tutorial": "the TensorFlow word2vec tutorial's settings (Adam, small window, 20 passes)",
}
SAMPLE_CHOICES = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
DEFAULT_LIVE_WORDS = 300

logger = logging.getLogger(__name__)

# TrainConfig field -> its widget's key (preset values go through _widget_value)
_KEYS = {
    "cbow": "cfg_arch", "dim": "cfg_dim", "window": "cfg_window", "negative": "cfg_negative",
    "min_count": "cfg_min_count", "max_vocab": "cfg_max_vocab", "sample": "cfg_sample", "epochs": "cfg_epochs",
    "optimizer": "cfg_optimizer", "lr": "cfg_lr", "min_lr": "cfg_min_lr", "batch_size": "cfg_batch_size",
    "lowercase": "cfg_lowercase", "strip_punctuation": "cfg_strip_punct", "max_sentence_len": "cfg_max_sentence_len",
    "seed": "cfg_seed", "backend": "cfg_backend", "threads": "cfg_threads", "ns_exponent": "cfg_ns_exponent",
}
# No "Reproducible" switch in the app: TensorFlow's enable_op_determinism() is process-wide and cannot be
# undone, so one session ticking it would make every later training on the server deterministic (and
# slower). Reproducible runs are for the CLI (--deterministic) and bench/, where the process is yours.
LABELS = {  # field -> the label the user sees (used to turn ConfigError messages into sentences)
    "cbow": "Architecture", "dim": "Vector size", "window": "Context window", "negative": "Negative samples",
    "min_count": "Minimum count", "max_vocab": "Vocabulary cap", "sample": "Down-sample frequent words",
    "epochs": "Epochs", "optimizer": "Optimizer", "lr": "Learning rate", "min_lr": "Final learning rate",
    "batch_size": "Batch size", "lowercase": "Lower-case", "strip_punctuation": "Drop punctuation",
    "max_sentence_len": "Longest sentence", "seed": "Random seed", "deterministic": "Reproducible",
    "backend": "Compute engine", "threads": "Threads", "ns_exponent": "Negative-sampling exponent",
    "snapshot_top": "Live-map words",
}


def _widget_value(field: str, value):
    if field == "cbow":
        return "CBOW" if value else "Skip-gram"
    if field == "max_vocab":
        return int(value or 0)
    if field == "sample":
        return min(SAMPLE_CHOICES, key=lambda s: abs(s - float(value)))
    if field in ("lr", "min_lr", "ns_exponent"):
        return float(value)
    return value


def preset_options() -> list[str]:
    """The preset box's options: the default first (a select box's fallback), then trainer.PRESETS' order."""
    return [DEFAULT_PRESET, *(p for p in PRESETS if p != DEFAULT_PRESET)]


def preset_values(name: str) -> dict:
    """Widget values for a preset: TrainConfig defaults overlaid with the preset."""
    cfg = TrainConfig().replace(**PRESETS[name])
    return {key: _widget_value(f, getattr(cfg, f)) for f, key in _KEYS.items()}


def apply_preset() -> None:
    """on_change of the preset box: load its values into the widgets."""
    name = st.session_state["cfg_preset"]
    st.session_state.update(preset_values(name))


def init_widgets() -> None:
    """A new session (or one whose preset value was lost or is no longer a preset) gets DEFAULT_PRESET."""
    if st.session_state.get("cfg_preset") not in PRESETS:
        st.session_state["cfg_preset"] = DEFAULT_PRESET
        st.session_state.update(preset_values(DEFAULT_PRESET))
    if "cfg_live_words" not in st.session_state:
        st.session_state["cfg_live_words"] = DEFAULT_LIVE_WORDS


def changed_from_preset() -> list[str]:
    want = preset_values(st.session_state["cfg_preset"])
    return [LABELS[f] for f, key in _KEYS.items() if st.session_state.get(key) != want[key]]


def friendly_config_error(err: ConfigError) -> str:
    """A ConfigError as a sentence naming the widget: 'Vector size (dim=0) is not allowed: ...'."""
    if err.field in LABELS:
        text = f"{LABELS[err.field]} ({err.field}={err.value!r}) is not allowed: {err.rule}."
    else:
        text = str(err)
    return text[0].upper() + text[1:] + " Change it in the sidebar."


def render_sidebar() -> tuple[TrainConfig | None, str | None]:
    """Draw the parameter widgets; (config, None) or (None, a sentence saying what to fix)."""
    init_widgets()
    sb = st.sidebar
    sb.header("Training settings")
    sb.selectbox("Preset", preset_options(), key="cfg_preset", on_change=apply_preset,
                 format_func=lambda p: p.capitalize(),
                 help="A starting point for every setting below; " + "; ".join(
                     f"**{k}**: {v}" for k, v in PRESET_HELP.items()))
    changed = changed_from_preset()
    sb.caption("Changed from the preset: " + ", ".join(changed) if changed
               else PRESET_HELP.get(st.session_state["cfg_preset"], ""))

    with sb.expander("Model", expanded=True):
        st.radio("Architecture", ["Skip-gram", "CBOW"], key="cfg_arch", horizontal=True,
                 help="Skip-gram predicts nearby words from each word (better for rare words); "
                      "CBOW predicts a word from its neighbours (faster).")
        st.number_input("Vector size", 2, 1000, step=10, key="cfg_dim",
                        help="How many numbers describe each word (dimensions). 50-300 is typical; "
                             "small text needs small vectors.")
        st.number_input("Context window", 1, 20, key="cfg_window",
                        help="How many words on each side count as 'nearby'. Small: similar function; "
                             "large: similar topic.")
        st.number_input("Negative samples", 1, 30, key="cfg_negative",
                        help="Random 'wrong' words contrasted with each real pair; 5-20 is usual.")
    with sb.expander("Vocabulary", expanded=True):
        st.number_input("Minimum count", 1, 1000, key="cfg_min_count",
                        help="Words seen fewer times than this are ignored (too rare to learn).")
        st.number_input("Vocabulary cap", 0, 2_000_000, step=1000, key="cfg_max_vocab",
                        help="Keep at most this many of the most frequent words; 0 means no cap.")
        st.selectbox("Down-sample frequent words", SAMPLE_CHOICES, key="cfg_sample",
                     format_func=lambda s: "off" if s == 0 else f"{s:g}" + (" (word2vec default)" if s == 1e-3
                                                                            else ""),
                     help="Randomly skips very common words such as 'the' so rarer words get more attention. "
                          "Smaller numbers skip more.")
    with sb.expander("Training", expanded=True):
        st.number_input("Epochs", 1, 1000, key="cfg_epochs",
                        help="How many times to read through the whole text.")
        st.selectbox("Optimizer", ["sgd", "adam"], key="cfg_optimizer",
                     format_func=lambda o: {"sgd": "SGD (word2vec)", "adam": "Adam"}[o],
                     help="SGD with a shrinking learning rate is what word2vec uses; Adam is the "
                          "TensorFlow tutorial's choice.")
        st.number_input("Learning rate", 0.00001, 10.0, step=0.005, format="%.5f", key="cfg_lr",
                        help="Step size of each update. word2vec: 0.025 (SGD); Adam: about 0.001.")
        st.number_input("Final learning rate", 0.0, 10.0, step=0.0001, format="%.5f", key="cfg_min_lr",
                        help="SGD only: the learning rate shrinks linearly to this by the end.")
        st.number_input("Batch size", 0, 4_194_304, step=1024, key="cfg_batch_size",
                        help="Word pairs per update step; 0 picks a good size automatically.")
    with sb.expander("Text clean-up"):
        st.checkbox("Lower-case", key="cfg_lowercase", help="Treat 'The' and 'the' as the same word.")
        st.checkbox("Drop punctuation", key="cfg_strip_punct",
                    help="Words are runs of letters and digits; off: split on spaces only.")
        st.number_input("Longest sentence", 2, 100_000, step=100, key="cfg_max_sentence_len",
                        help="Each line is a sentence; longer lines are cut into pieces of this many words.")
    with sb.expander("Advanced"):
        st.slider("Live-map words", 0, 2000, step=50, key="cfg_live_words",
                  help="How many of the most frequent words the live map shows while training (0: no live map).")
        st.number_input("Random seed", 0, 2**31 - 1, key="cfg_seed",
                        help="Same seed and settings give a comparable run.")
        st.selectbox("Compute engine", ["auto", "native", "tf"], key="cfg_backend",
                     format_func=lambda b: {"auto": "Automatic", "native": "Fast kernel (CPU)",
                                            "tf": "TensorFlow ops"}[b],
                     help="Automatic uses a GPU if there is one, else the fast CPU kernel.")
        st.number_input("Threads", 0, 64, key="cfg_threads",
                        help="CPU threads for training; 0 uses every core but one (that one prepares the word pairs).")
        st.number_input("Negative-sampling exponent", -2.0, 2.0, step=0.05, format="%.2f", key="cfg_ns_exponent",
                        help="How often common words are drawn as negatives: 0.75 as in word2vec; 0 = uniform.")
    return build_config(dict(st.session_state))


def build_config(values: dict) -> tuple[TrainConfig | None, str | None]:
    """The widgets' values -> a validated TrainConfig, or (None, what to change)."""
    try:
        fields = {f: values[key] for f, key in _KEYS.items()}
        fields["cbow"] = fields["cbow"] == "CBOW"
        fields["max_vocab"] = int(fields["max_vocab"]) or None
        fields["sample"] = float(fields["sample"])
        for f in ("dim", "window", "negative", "min_count", "epochs", "batch_size", "max_sentence_len", "seed",
                  "threads"):
            fields[f] = int(fields[f])
        fields["snapshot_top"] = int(values.get("cfg_live_words", 0))
        fields["deterministic"] = False  # process-wide in TensorFlow: never from a shared server (see _KEYS)
        cfg = TrainConfig(**fields).validate()
    except ConfigError as e:
        return None, friendly_config_error(e)
    except (KeyError, TypeError, ValueError) as e:
        logger.warning("unreadable sidebar setting: %r", e)
        return None, f"A setting could not be read ({e}); pick a preset to reset them."
    return cfg, None


def config_summary(cfg: TrainConfig) -> str:
    """One short line describing a config (for run lists)."""
    arch = "CBOW" if cfg.cbow else "skip-gram"
    return (f"{arch}, {cfg.dim} dims, window {cfg.window}, {cfg.epochs} epochs, min count {cfg.min_count}, "
            f"{cfg.optimizer} lr {cfg.lr:g}")
