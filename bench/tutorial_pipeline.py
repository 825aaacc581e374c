"""Section 1b: the TensorFlow word2vec tutorial's own pipeline vs our "tutorial" preset.

    python -m bench --only tutorial
    from bench import tutorial_pipeline as tp
    out = tp.tutorial_vectors("sample_data/shakespeare.txt", epochs=20, seed=42)   # the tutorial, as written
    tp.run(corpus="x.txt", epochs=1, repeats=1)                                      # the comparison

tutorial_vectors() re-implements https://www.tensorflow.org/text/tutorials/word2vec step by
step: TextLineDataset of non-empty lines; TextVectorization (lower-case, strip
string.punctuation, 4096 tokens, sequences truncated/padded to 10); per sentence
tf.keras.preprocessing.sequence.skipgrams(window 2, sampling table, no negatives) and, per
positive pair, one eager tf.random.log_uniform_candidate_sampler call for 4 negatives (its
Python loop is the point: that is what a user of the tutorial runs); a Keras Model with two
Embedding layers, an einsum dot and CategoricalCrossentropy(from_logits=True), Adam,
batch 1024, shuffle buffer 10000, 20 epochs. Only the tqdm bar and the TensorBoard callback
are left out. The tutorial tokenises on its own (lower-case, strip punctuation, split on
whitespace): "don't" becomes "dont", where ours keeps "don't".

End-to-end seconds: from the raw file to a words x vectors matrix, for both (ours: scan +
prepare + train). Both are warmed up on a small slice first (imports, one-time setup).
Quality is scored twice: on each model's own vocabulary and on the words both vocabularies
share (the fair comparison; the targets use it).
"""
from __future__ import annotations

import re
import string
import time
from pathlib import Path

import numpy as np

from .common import (
    QUALITY_KEYS,
    SAMPLE,
    Section,
    diff_se,
    keyed_vectors,
    mean_quality,
    quality,
    spread,
)

PRESET = "tutorial"
TOKENISATION_NOTE = ("the tutorial pipeline uses its own tokenisation (TextVectorization: lower-case, strip "
                     "string.punctuation, split on whitespace, lines cut to 10 tokens); ours lower-cases and keeps "
                     "letter/digit runs with inner apostrophes/hyphens and uses every token of a line")


def tutorial_vectors(path: Path | str, epochs: int = 20, seed: int = 42, vocab_size: int = 4096,
                     sequence_length: int = 10, window_size: int = 2, num_ns: int = 4, batch_size: int = 1024,
                     buffer_size: int = 10000, embedding_dim: int = 128) -> dict:
    """Run the tutorial's pipeline; returns words, vectors, pair count and per-stage seconds."""
    import warnings

    import tensorflow as tf
    from tensorflow.keras import layers

    warnings.filterwarnings("ignore", message=".*shuffle=True.*")  # Keras 3 noise about tf.data input
    tf.keras.utils.set_random_seed(seed)
    autotune = tf.data.AUTOTUNE
    t0 = time.perf_counter()

    text_ds = tf.data.TextLineDataset(str(path)).filter(lambda x: tf.cast(tf.strings.length(x), bool))

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        return tf.strings.regex_replace(lowercase, f"[{re.escape(string.punctuation)}]", "")

    vectorize_layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=vocab_size,
                                               output_mode="int", output_sequence_length=sequence_length)
    vectorize_layer.adapt(text_ds.batch(1024))
    inverse_vocab = vectorize_layer.get_vocabulary()
    text_vector_ds = text_ds.batch(1024).prefetch(autotune).map(vectorize_layer).unbatch()
    sequences = list(text_vector_ds.as_numpy_iterator())
    t1 = time.perf_counter()

    targets, contexts, labels = [], [], []
    sampling_table = tf.keras.preprocessing.sequence.make_sampling_table(vocab_size)
    for sequence in sequences:
        positive_skip_grams, _ = tf.keras.preprocessing.sequence.skipgrams(
            sequence, vocabulary_size=vocab_size, sampling_table=sampling_table, window_size=window_size,
            negative_samples=0)
        for target_word, context_word in positive_skip_grams:
            context_class = tf.expand_dims(tf.constant([context_word], dtype="int64"), 1)
            negative_sampling_candidates, _, _ = tf.random.log_uniform_candidate_sampler(
                true_classes=context_class, num_true=1, num_sampled=num_ns, unique=True, range_max=vocab_size,
                seed=seed, name="negative_sampling")
            context = tf.concat([tf.squeeze(context_class, 1), negative_sampling_candidates], 0)
            label = tf.constant([1] + [0] * num_ns, dtype="int64")
            targets.append(target_word)
            contexts.append(context)
            labels.append(label)
    targets, contexts, labels = np.array(targets), np.array(contexts), np.array(labels)
    t2 = time.perf_counter()

    dataset = tf.data.Dataset.from_tensor_slices(((targets, contexts), labels))
    dataset = dataset.shuffle(buffer_size).batch(batch_size, drop_remainder=True)
    dataset = dataset.cache().prefetch(buffer_size=autotune)

    class Word2Vec(tf.keras.Model):
        def __init__(self, vocab_size, embedding_dim):
            super().__init__()
            self.target_embedding = layers.Embedding(vocab_size, embedding_dim, name="w2v_embedding")
            self.context_embedding = layers.Embedding(vocab_size, embedding_dim)

        def call(self, pair):
            target, context = pair
            if len(target.shape) == 2:
                target = tf.squeeze(target, axis=1)
            word_emb = self.target_embedding(target)
            context_emb = self.context_embedding(context)
            return tf.einsum("be,bce->bc", word_emb, context_emb)

    word2vec = Word2Vec(vocab_size, embedding_dim)
    word2vec.compile(optimizer="adam", loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
                     metrics=["accuracy"])
    if len(targets) >= batch_size:  # drop_remainder: a slice smaller than one batch trains nothing
        word2vec.fit(dataset, epochs=epochs, verbose=0)
    else:
        word2vec((targets[:1], contexts[:1]))  # build the layers so the weights exist
    weights = word2vec.get_layer("w2v_embedding").get_weights()[0]
    t3 = time.perf_counter()

    # Index 0 is the padding token "", 1 is "[UNK]": not words.
    words = [w for w in inverse_vocab[2:]]
    return {"words": words, "vectors": weights[2:len(inverse_vocab)], "pairs": int(len(targets)),
            "seconds": t3 - t0, "stages_s": {"vectorize": t1 - t0, "pairs_python_loop": t2 - t1, "fit": t3 - t2}}


def ours_vectors(path: Path | str, cfg) -> dict:
    from trainer import TextSource, prepare, scan_corpus, train
    t0 = time.perf_counter()
    scan = scan_corpus([TextSource.from_path(path)], cfg.lowercase, cfg.strip_punctuation, cfg.max_sentence_len)
    t1 = time.perf_counter()
    res = train(prepare(scan, cfg), cfg)
    t2 = time.perf_counter()
    return {"words": res.words, "vectors": res.vectors, "seconds": t2 - t0, "backend": res.backend,
            "stages_s": {"scan": t1 - t0, "prepare_and_train": t2 - t1, "loop": res.train_seconds}}


def run(corpus: Path | str = SAMPLE, repeats: int = 3, epochs: int | None = None, emit="default",
        warm_lines: int = 2000) -> dict:
    """Alternate the two pipelines `repeats` times (seeds 42, 43, ...); see the module docstring."""
    import tempfile

    from trainer import preset

    from .common import slice_corpus
    sec = Section("tutorial") if emit == "default" else Section("tutorial", emit)
    corpus = Path(corpus)
    n_epochs = epochs or 20
    cfg = preset(PRESET, epochs=n_epochs)
    sec.record("setup", corpus=corpus.name, epochs=n_epochs, ours_config=cfg.to_dict(), note=TOKENISATION_NOTE)

    with tempfile.TemporaryDirectory() as tmp:  # warm-up: imports and one-time set-up, not measured
        small = slice_corpus(corpus, Path(tmp) / "warm.txt", warm_lines)
        tutorial_vectors(small, epochs=1)
        ours_vectors(small, cfg.replace(epochs=1))

    runs: dict[str, list[dict]] = {"tutorial_pipeline": [], "ours_tutorial_preset": []}
    for rep in range(repeats):
        seed = 42 + rep
        order = list(runs) if rep % 2 == 0 else list(runs)[::-1]
        outs = {}
        for who in order:
            outs[who] = (tutorial_vectors(corpus, epochs=n_epochs, seed=seed) if who == "tutorial_pipeline"
                         else ours_vectors(corpus, cfg.replace(seed=seed)))
        shared = set(outs["tutorial_pipeline"]["words"]) & set(outs["ours_tutorial_preset"]["words"])
        for who in order:
            o = outs[who]
            own = quality(keyed_vectors(o["words"], o["vectors"]))
            common = quality(keyed_vectors(o["words"], o["vectors"], keep=shared))
            rec = sec.record(who, run=rep + 1, seed=seed, seconds=o["seconds"], stages_s=o["stages_s"],
                             vocab=len(o["words"]), shared_vocab=len(shared), pairs=o.get("pairs"),
                             backend=o.get("backend"), quality_own_vocab=own, **common)
            runs[who].append(rec)

    secs = {k: spread(r["seconds"] for r in v) for k, v in runs.items()}
    speedup = secs["tutorial_pipeline"]["median"] / secs["ours_tutorial_preset"]["median"]
    qual = {k: mean_quality(v) for k, v in runs.items()}
    qual_own = {k: mean_quality([r["quality_own_vocab"] for r in v]) for k, v in runs.items()}
    sec.record("summary", seconds=secs, speedup_tutorial_over_ours=speedup, quality_shared_vocab_mean=qual,
               quality_own_vocab_mean=qual_own, repeats=repeats, epochs=n_epochs)
    sec.target("tutorial preset vs tutorial pipeline, end-to-end seconds",
               f"{secs['ours_tutorial_preset']['median']:.1f} s vs {secs['tutorial_pipeline']['median']:.1f} s "
               f"({speedup:.1f}x faster)", "faster (> 1.0x)", speedup > 1.0)
    for q in QUALITY_KEYS:
        o, t = qual["ours_tutorial_preset"][q], qual["tutorial_pipeline"][q]
        se = diff_se([r[q] for r in runs["ours_tutorial_preset"]], [r[q] for r in runs["tutorial_pipeline"]])
        sec.target(f"quality {q}: tutorial preset vs tutorial pipeline (shared vocab, mean of {repeats})",
                   f"{o:.3f} vs {t:.3f} (2 SE {2 * se:.3f})", "strictly better", o > t)
    sec.note(TOKENISATION_NOTE)
    return sec.result(summary={"seconds": secs, "speedup": speedup, "quality_shared_vocab": qual,
                               "quality_own_vocab": qual_own})
