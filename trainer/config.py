"""Training configuration: one typed dataclass, presets, and validation.

    from trainer.config import TrainConfig, preset
    cfg = preset("quick demo", epochs=3)        # a preset with overrides
    cfg = TrainConfig(dim=50, window=3)         # or build one directly
    cfg.validate()                              # ConfigError naming the field

Field names follow gensim's Word2Vec where one exists (vector_size is `dim`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


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
    min_lr: float = 0.0001  # SGD learning rate reached at the end of training
    batch_size: int = 0  # examples per step; 0 = auto (native 16384; TF ops min(8192 CPU/65536 GPU, 4 x vocab))
    # --- text standardisation ---
    lowercase: bool = True  # fold case before counting
    strip_punctuation: bool = True  # tokens: letters/digits of any script, inner ' or - kept; False: split on spaces
    max_sentence_len: int = 1000  # longer lines are split into chunks of this many tokens (never truncated)
    # --- run control ---
    seed: int = 1  # seeds initialisation, windows, subsampling and negatives
    deterministic: bool = False  # True: identical vectors for identical corpus+config+seed on CPU (single thread)
    threads: int = 0  # worker threads for the native kernel; 0 = all cores
    backend: str = "auto"  # "auto" (GPU if visible, else native kernel, else TensorFlow ops), "native", "tf"
    report_every: int = 10  # emit a progress event every this many steps
    snapshot_top: int = 0  # >0: copy the vectors of this many most frequent words at each epoch end (live map)
    keep_output_vectors: bool = False  # also return the output (context) embedding matrix

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first parameter outside its range."""
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                value = getattr(self, name)
                raise ConfigError(f"{name}={value!r} is not allowed: {rule}.", field=name, value=value, rule=rule)

        need(isinstance(self.dim, int) and 1 <= self.dim <= 4096, "dim", "use an integer from 1 to 4096")
        need(isinstance(self.window, int) and 1 <= self.window <= 100, "window", "use an integer from 1 to 100")
        need(isinstance(self.negative, int) and 1 <= self.negative <= 100, "negative", "use an integer from 1 to 100")
        need(-2.0 <= self.ns_exponent <= 2.0, "ns_exponent", "use a number from -2 to 2 (word2vec uses 0.75)")
        need(isinstance(self.min_count, int) and self.min_count >= 1, "min_count", "use an integer of at least 1")
        need(self.max_vocab is None or (isinstance(self.max_vocab, int) and self.max_vocab >= 2),
             "max_vocab", "use an integer of at least 2, or None for no cap")
        need(0.0 <= self.sample < 1.0, "sample", "use a number from 0 (off) up to 1, e.g. 1e-3 or 1e-5")
        need(isinstance(self.epochs, int) and 1 <= self.epochs <= 1000, "epochs", "use an integer from 1 to 1000")
        need(self.optimizer in ("sgd", "adam"), "optimizer", "choose 'sgd' or 'adam'")
        need(0.0 < self.lr <= 10.0, "lr", "use a positive number up to 10 (word2vec: 0.025 skip-gram, 0.05 CBOW)")
        need(0.0 <= self.min_lr <= self.lr, "min_lr", f"use a number from 0 to lr ({self.lr})")
        need(isinstance(self.batch_size, int) and (self.batch_size == 0 or 16 <= self.batch_size <= 4_194_304),
             "batch_size", "use 0 (automatic) or an integer from 16 to 4194304")
        need(isinstance(self.max_sentence_len, int) and self.max_sentence_len >= 2,
             "max_sentence_len", "use an integer of at least 2")
        need(isinstance(self.threads, int) and 0 <= self.threads <= 256, "threads", "use 0 (all cores) or 1..256")
        need(self.backend in ("auto", "native", "tf"), "backend", "choose 'auto', 'native' or 'tf'")
        need(isinstance(self.report_every, int) and self.report_every >= 1, "report_every",
             "use an integer of at least 1")
        need(isinstance(self.snapshot_top, int) and self.snapshot_top >= 0, "snapshot_top",
             "use 0 (off) or a positive integer")
        need(isinstance(self.seed, int), "seed", "use an integer")
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
        return cls(**{k: v for k, v in data.items() if k in names})


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

