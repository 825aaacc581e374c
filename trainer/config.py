"""Training configuration: one typed dataclass, presets, and validation.

    from trainer.config import TrainConfig, preset
    cfg = preset("quick demo", epochs=3)        # a preset with overrides
    cfg = TrainConfig(dim=50, window=3)         # or build one directly
    cfg.validate()                              # ConfigError naming the field

Field names follow gensim's Word2Vec where one exists (vector_size is `dim`).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A parameter is outside its allowed range or of the wrong type; the message names it.

    `field`, `value` and `rule` say which parameter, what it was, and what is allowed, so a UI
    can point at the widget without parsing the message (None for errors about the whole config).
    """

    def __init__(self, message: str, field: str | None = None, value: Any = None, rule: str | None = None):
        super().__init__(message)
        self.field, self.value, self.rule = field, value, rule


@dataclass
class TrainConfig:
    # --- model ---
    cbow: bool = False  # False: skip-gram (a word predicts its context); True: CBOW (mean of context predicts word)
    dim: int = 100  # embedding size (gensim: vector_size)
    window: int = 5  # max distance between a word and its context; effective window drawn uniformly in 1..window
    negative: int = 5  # negative samples per positive pair
    ns_exponent: float = 0.75  # negatives drawn from count**ns_exponent (word2vec: 0.75)
    # --- vocabulary ---
    min_count: int = 5  # words seen fewer times are dropped from training (not mapped to [UNK])
    max_vocab: int | None = None  # keep at most this many most frequent words (None: no cap)
    sample: float = 1e-3  # frequent-word subsampling threshold t (0 disables); word2vec.c formula
    # --- optimisation ---
    epochs: int = 5  # passes over the corpus
    optimizer: str = "sgd"  # "sgd" (word2vec: linear lr decay) or "adam" (tutorial style, sparse/lazy)
    lr: float = 0.025  # starting learning rate (per pair for SGD; Adam step size for Adam)
    min_lr: float = 0.0001  # SGD learning rate reached at the end (native kernel; TF's AdaGrad rows keep lr)
    batch_size: int = 0  # examples per step; 0 = auto (native up to 131072; TF ops min(8192 CPU/65536 GPU, 4 x vocab)
    # rounded down to a multiple of 16, so skip-gram shares negatives per 16 pairs: trainer.model.NEGATIVES_GROUP)
    # --- text standardisation ---
    lowercase: bool = True  # fold case before counting
    strip_punctuation: bool = True  # tokens: letters/digits of any script, inner ' or - kept; False: split on spaces
    max_sentence_len: int = 1000  # longer lines are split into chunks of this many tokens (never truncated)
    # --- run control ---
    seed: int = 1  # seeds initialisation, windows, subsampling and negatives
    deterministic: bool = False  # True: identical vectors for identical corpus+config+seed on CPU (single thread)
    threads: int = 0  # worker threads for the native kernel; 0 = every core not left to the pair producers
    producers: int = 0  # threads making word pairs (NumPy) beside the model; 0 = one per 4 usable cores (min 1)
    backend: str = "auto"  # "auto" (GPU if visible, else native kernel, else TensorFlow ops), "native", "tf"
    report_every: int = 10  # emit a progress event every this many steps
    snapshot_top: int = 0  # >0: copy the vectors of this many most frequent words at each epoch end (live map)
    keep_output_vectors: bool = False  # also return the output (context) embedding matrix
    # Up to 5 words whose top-5 neighbours are reported at epoch ends (TrainEvent.probes), so a UI can show them
    # changing while training runs: at most every 0.5 s (sub-second epochs skip some) and always at the last
    # epoch; costs one matrix-vector product per probe each time (trainer/probes.py).
    probe_words: tuple[str, ...] = ()

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first parameter of the wrong type or outside its range.

        Types first (so a range check never meets a str or None): int fields take int (not bool, not 3.0),
        float fields take int or float (not bool, not "0.1"), and must be finite; bool fields take bool;
        str fields must be one of their choices.
        """
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                value = getattr(self, name)
                raise ConfigError(f"{name}={value!r} is not allowed: {rule}.", field=name, value=value, rule=rule)

        for f in dataclasses.fields(self):
            kind = _KINDS.get(f.name)
            if kind is not None:
                value = getattr(self, f.name)
                need((value is None and f.name in _OPTIONAL) or _is_kind(value, kind), f.name,
                     _KIND_RULES[kind] + (", or None" if f.name in _OPTIONAL else ""))
        need(1 <= self.dim <= 4096, "dim", "use an integer from 1 to 4096")
        need(1 <= self.window <= 100, "window", "use an integer from 1 to 100")
        need(1 <= self.negative <= 100, "negative", "use an integer from 1 to 100")
        need(-2.0 <= self.ns_exponent <= 2.0, "ns_exponent", "use a number from -2 to 2 (word2vec uses 0.75)")
        need(self.min_count >= 1, "min_count", "use an integer of at least 1")
        need(self.max_vocab is None or self.max_vocab >= 2, "max_vocab",
             "use an integer of at least 2, or None for no cap")
        need(0.0 <= self.sample < 1.0, "sample", "use a number from 0 (off) up to 1, e.g. 1e-3 or 1e-5")
        need(1 <= self.epochs <= 1000, "epochs", "use an integer from 1 to 1000")
        need(self.optimizer in ("sgd", "adam"), "optimizer", "choose 'sgd' or 'adam'")
        need(0.0 < self.lr <= 10.0, "lr", "use a positive number up to 10 (word2vec: 0.025 skip-gram, 0.05 CBOW)")
        need(0.0 <= self.min_lr <= self.lr, "min_lr", f"use a number from 0 to lr ({self.lr})")
        need(self.batch_size == 0 or 16 <= self.batch_size <= 4_194_304,
             "batch_size", "use 0 (automatic) or an integer from 16 to 4194304")
        need(self.max_sentence_len >= 2, "max_sentence_len", "use an integer of at least 2")
        need(0 <= self.threads <= 256, "threads", "use 0 (all cores but the pair producers') or 1..256")
        need(0 <= self.producers <= 64, "producers", "use 0 (one per 4 cores) or 1..64")
        need(self.backend in ("auto", "native", "tf"), "backend", "choose 'auto', 'native' or 'tf'")
        need(self.report_every >= 1, "report_every", "use an integer of at least 1")
        need(self.snapshot_top >= 0, "snapshot_top", "use 0 (off) or a positive integer")
        need(isinstance(self.probe_words, (tuple, list)) and len(self.probe_words) <= 5
             and all(isinstance(w, str) and w.strip() for w in self.probe_words),
             "probe_words", "give at most 5 non-empty words")
        return self

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (unknown names raise ConfigError)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of to_dict; ignores keys this version does not know."""
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in data.items() if k in names}
        if isinstance(kept.get("probe_words"), list):  # JSON has no tuples
            kept["probe_words"] = tuple(kept["probe_words"])
        return cls(**kept)


# The type of every field validate() checks; a field added without an entry here is range-checked only.
_KINDS = {
    "cbow": "bool", "dim": "int", "window": "int", "negative": "int", "ns_exponent": "float", "min_count": "int",
    "max_vocab": "int", "sample": "float", "epochs": "int", "lr": "float", "min_lr": "float",
    "batch_size": "int", "lowercase": "bool", "strip_punctuation": "bool", "max_sentence_len": "int",
    "seed": "int", "deterministic": "bool", "threads": "int", "producers": "int", "report_every": "int",
    "snapshot_top": "int", "keep_output_vectors": "bool",
}
_OPTIONAL = {"max_vocab"}  # None allowed
_KIND_RULES = {"int": "use a whole number (an int; not a bool, text or a float like 3.0)",
               "float": "use a finite number (an int or float; not a bool or text)",
               "bool": "use True or False"}  # str fields (optimizer, backend) are checked against their choices


def _is_kind(value: Any, kind: str) -> bool:
    """isinstance for the config's field kinds; bool is an int subclass in Python, so it is refused explicitly.
    numpy scalars (np.int64 from a slider, np.float32) count as their Python kinds."""
    if isinstance(value, (bool, np.bool_)):
        return kind == "bool"
    if kind == "int":
        return isinstance(value, numbers.Integral)
    if kind == "float":
        return isinstance(value, numbers.Real) and math.isfinite(value)
    return False


PRESETS: dict[str, dict[str, Any]] = {
    # word2vec.c / gensim defaults.
    "word2vec defaults": dict(cbow=False, dim=100, window=5, negative=5, epochs=5, min_count=5, sample=1e-3,
                              optimizer="sgd", lr=0.025),
    # The TensorFlow tutorial's settings, trained with the correct loss and sampling. Adam's step is
    # 0.005, not Keras' 0.001: our batches are 8x the tutorial's 1,024 pairs, so there are 8x fewer
    # steps (0.001 left rare words near their initial values; measured on the sample).
    "tutorial": dict(cbow=False, dim=128, window=2, negative=4, epochs=20, min_count=1, max_vocab=4096,
                     sample=1e-3, optimizer="adam", lr=0.005),
    # Seconds on the bundled sample: small vectors, few epochs, and a learning rate 3x word2vec's so that
    # 4 passes over 200k words get far enough (at 0.025 and 3 epochs every word pair read ~0.97 cosine and
    # "queen" was the odd one out of king/queen/prince/sword). Searched on the sample, tests/test_demo_quality.py.
    "quick demo": dict(cbow=False, dim=50, window=4, negative=5, epochs=4, min_count=3, sample=1e-3,
                       optimizer="sgd", lr=0.075),
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """Build a validated config from a named preset plus overrides."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return TrainConfig().replace(**{**PRESETS[name], **overrides}).validate()

