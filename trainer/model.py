"""The SGNS / CBOW model: two embedding matrices and the update step, on two backends.

    model = make_model(vocab_size, cfg)      # picks GPU / native kernel / TF ops
    loss_sum, n = model.step(batch, lr_start, lr_end)   # loss_sum: float (native) or a TF scalar (TF ops)
    model.input_vectors()                    # float32 [V, dim] copy

Both backends hold the matrices as tf.Variables initialised as gensim 4 does
(input uniform in ±1/dim, output zeros) and minimise the sigmoid
negative-sampling loss  -log σ(u_t·v_in) - Σ_neg log σ(-u_n·v_in)  (CBOW: v_in
is the mean of the context vectors). Updates touch only the rows in the batch.

- NativeModel: the compiled TensorFlow op (trainer/native) applies word2vec's
  SGD per example, in place, Hogwild across threads. CPU, SGD only.
- TFModel: TensorFlow ops on gathered rows and scatter-adds (XLA-compiled for
  skip-gram), one update per batch of pairs: word2vec's loss and learning rate
  with each row's step scaled by AdaGrad (optimizer "sgd"), or lazy
  Adam on the touched rows (optimizer "adam"); runs on GPU when visible.
"""
from __future__ import annotations

import os

import numpy as np

from .config import TrainConfig
from .pairs import PairBatch

# TF backend, optimizer "sgd": AdaGrad step = ADAGRAD_SCALE x word2vec's scheduled lr, so 0.025 -> 0.05,
# GloVe's AdaGrad rate (measured on head500: 2x gave word2vec-quality vectors at batch 8,192 and 65,536).
ADAGRAD_SCALE = 2.0
ADAGRAD_EPS = 1e-6  # keeps the first step of a row finite; rows whose gradient is still 0 do not move
# Whether optimizer "sgd" on the TF backend also applies word2vec's linear decay of the learning rate.
# It does not: AdaGrad's 1/sqrt(history) already shrinks every row's steps, and the two decays together
# starved the last epochs. Measured on head500 (bench/tf_sweep.py; gensim workers=2, seeds 1-5: 3.49% /
# 0.386 / 0.127): batch 8,192 went from 2.57% / 0.511 / 0.176 with the decay (seeds 1-3) to 4.33% /
# 0.588 / 0.227 without (seeds 1-5); batch 65,536 without: 4.66% / 0.568 / 0.219 (seeds 1-5).
LR_DECAY = False
# TF backend, skip-gram SGD: consecutive pairs per group that share one draw of `negative` negatives (HogBatch,
# BlazingText). The negative logits and gradients become small matrix products, and a negative row is gathered
# and scattered once per group instead of once per pair; the pair pipeline draws one row of negatives per group.
# Measured on head500 (bench/tf_sweep.py, seeds 1-3, 2-core AMD EPYC, 2026-12-02), analogy / WS353 / SimLex:
# batch 8,192: per pair 4.3% / 0.588 / 0.227 (seeds 1-5), groups of 16 4.0% / 0.577 / 0.218, of 64 3.0% /
# 0.552 / 0.183; batch 65,536: per pair 4.7% / 0.568 / 0.219, groups of 16 4.3% / 0.563 / 0.207 (gensim 3.5% /
# 0.386 / 0.127). Steps alone, pairs/s on the CPU: 8,192: 0.29M -> 0.58M; 65,536: 0.22M -> 0.39M.
# 1 = every pair draws its own, as word2vec does.
NEGATIVES_GROUP = 16
# Native kernel: pairs per call. The kernel trains the chunk's regions interleaved (sgns_op.cc), so the chunk
# must be big enough for them to lie far apart (gensim's workers take 10,000-word jobs): 131,072 pairs are
# ~22,000 words at window 5. Bigger calls also mean fewer trips through Python per second (less time waiting
# for the GIL when a server thread holds it).
NATIVE_BATCH = 131072


def default_native_threads(producers: int = 0) -> int:
    """Kernel threads when the config says 0: every usable core not left to the pair producers (NumPy threads
    of their own, trainer.pairs.default_producers). On the 2-core machine one kernel thread trained faster
    than two (quick demo on the sample: 2.34M vs 2.20M words/s; word2vec defaults 1.60M vs 1.53M): the
    second thread took the producer's core and fought the first over the frequent words' rows."""
    from .backend import usable_cores
    from .pairs import default_producers
    return max(1, usable_cores() - default_producers(producers))


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


class _BaseModel:
    name = "base"
    decays_lr = True  # whether steps follow the loop's linear decay (the events report the lr used)
    negatives_group = 1  # pairs per row of negatives the model reads (the pair pipeline draws that many rows)

    def __init__(self, vocab_size: int, cfg: TrainConfig, device: str = "/CPU:0"):
        tf = _tf()
        rng = np.random.default_rng(cfg.seed)
        # gensim 4's range, twice word2vec.c's ±0.5/dim: measured on head500 (3 seeds, native kernel) it
        # lifted analogy 2.2% -> 3.2%, WS353 0.335 -> 0.362, SimLex 0.113 -> 0.117 (gensim 3.5% / 0.377 / 0.125).
        init = rng.uniform(-1.0 / cfg.dim, 1.0 / cfg.dim, size=(vocab_size, cfg.dim)).astype(np.float32)
        self.cfg, self.device = cfg, device
        with tf.device(device):
            self.w_in = tf.Variable(init, name="input_embeddings")
            self.w_out = tf.Variable(np.zeros_like(init), name="output_embeddings")

    def input_vectors(self, top: int | None = None) -> np.ndarray:
        value = self.w_in[:top] if top else self.w_in
        return np.array(value.numpy(), dtype=np.float32, copy=True)

    def output_vectors(self) -> np.ndarray:
        return np.array(self.w_out.numpy(), dtype=np.float32, copy=True)


class NativeModel(_BaseModel):
    name = "native"

    def __init__(self, vocab_size: int, cfg: TrainConfig, ops):
        super().__init__(vocab_size, cfg)
        self.ops = ops
        self.threads = 1 if cfg.deterministic else (cfg.threads or default_native_threads(cfg.producers))
        self.batch_size = cfg.batch_size or NATIVE_BATCH

    def step(self, batch: PairBatch, lr0: float, lr1: float) -> tuple[float, int]:
        out = self.ops.word2vec_neg_train(
            self.w_in.handle, self.w_out.handle, batch.targets, batch.inputs, batch.row_splits,
            batch.negatives, np.array([lr0, lr1], dtype=np.float32),
            cbow=self.cfg.cbow, num_threads=self.threads).numpy()
        return float(out[0]), int(out[1])


class TFModel(_BaseModel):
    """Pure TensorFlow ops, one update per batch. Skip-gram batches are padded to a fixed size so
    the step compiles once with XLA; CBOW and Adam's row bookkeeping run as plain tf.functions.

    Why AdaGrad for optimizer "sgd": word2vec's SGD is sequential, one pair at a time. Summed over
    a batch, a row seen c times gets c updates computed from the same stale vectors at once; for
    frequent words c is in the hundreds, and the step overshoots (issue 9: capping a row's terms
    per step instead starved those rows: WordSim353 0.14 at batch 8,192, 0.04 at 65,536, vs 0.24
    for the kernel). Here every row keeps the sum of its examples' mean squared gradients (one float
    per row, as GloVe and Swivel keep AdaGrad state) and each example moves it by
    ADAGRAD_SCALE * lr * g / sqrt(that sum): a row's first steps are normalised, later ones shrink as
    its history grows, whatever the batch size. That shrinking is the schedule: the learning rate
    stays at cfg.lr (the loop's linear decay is ignored here, see LR_DECAY; Adam's is constant too).
    """
    name = "tf"

    @staticmethod
    def default_batch_size(vocab_size: int, on_gpu: bool) -> int:
        """Pairs per step when the config says 0: 65,536 on a GPU (enough work per launch), 8,192 on
        a CPU (larger batches were slower there, cache-bound). AdaGrad's per-row steps hold at both
        sizes for any vocabulary (tests/test_trainer_tf_backend.py: 120 words at 65,536)."""
        del vocab_size  # the size no longer depends on it: AdaGrad needs no small-vocabulary cap
        return 65536 if on_gpu else 8192

    def __init__(self, vocab_size: int, cfg: TrainConfig, device: str, batch_size: int):
        super().__init__(vocab_size, cfg, device)
        tf = _tf()
        self.tf, self.batch_size, self.vocab_size = tf, batch_size, vocab_size
        # SGD here is row-wise AdaGrad at a constant lr (LR_DECAY); Adam's lr is constant as well.
        self.decays_lr = cfg.optimizer == "sgd" and LR_DECAY
        self.name = "tf-gpu" if "GPU" in device else "tf"
        with tf.device(device):
            if cfg.optimizer == "adam":
                self.slots = [tf.Variable(tf.zeros_like(w)) for w in (self.w_in, self.w_out) for _ in (0, 1)]
                self.t = tf.Variable(0.0)
            else:  # AdaGrad state: per row, the sum of its examples' mean squared gradients
                self.acc_in = tf.Variable(tf.zeros([vocab_size]), name="adagrad_input")
                self.acc_out = tf.Variable(tf.zeros([vocab_size]), name="adagrad_output")
        # Skip-gram batches have a fixed (padded) shape, so the math compiles with XLA, on the GPU too:
        # fused kernels instead of one launch per op. The lazy Adam update needs tf.unique (dynamic
        # shape): it runs as a second, plain tf.function. CBOW's ragged context rows run as one plain
        # tf.function.
        self.fixed_shape = not cfg.cbow
        # Skip-gram SGD shares negatives per group (NEGATIVES_GROUP) when the batch splits into whole groups.
        group = NEGATIVES_GROUP if cfg.optimizer == "sgd" and not cfg.cbow else 1
        self.negatives_group = group if group > 1 and batch_size % group == 0 else 1
        xla = self.fixed_shape and "GPU" not in device
        if cfg.optimizer == "sgd":
            self._step = tf.function(self._sgd_step, jit_compile=self.fixed_shape, reduce_retracing=True)
        else:
            self._unique = tf.function(self._unique_rows, reduce_retracing=True)
            self._grads = tf.function(self._adam_grads, jit_compile=xla, reduce_retracing=True)
            self._apply = tf.function(self._adam_apply, reduce_retracing=True)
            self._step = self._adam_step

    # -- the math -----------------------------------------------------------
    def _forward(self, inputs, splits, targets, negatives, weight, dense_out=True):
        """Loss per example and the gradients of the summed loss wrt the gathered rows."""
        tf = self.tf
        if self.cfg.cbow:
            seg = tf.repeat(tf.range(tf.shape(targets)[0]), splits[1:] - splits[:-1])
            rows = tf.gather(self.w_in, inputs)
            n_ctx = tf.cast(tf.maximum(splits[1:] - splits[:-1], 1), tf.float32)[:, None]
            h = tf.math.unsorted_segment_sum(rows, seg, tf.shape(targets)[0]) / n_ctx
        else:
            seg, n_ctx = None, None
            h = tf.gather(self.w_in, inputs)
        ids = tf.concat([targets[:, None], negatives], axis=1)  # [n, 1+k]
        out = tf.gather(self.w_out, ids)  # [n, 1+k, d]
        logits = tf.einsum("nd,nkd->nk", h, out)
        label = tf.concat([tf.ones_like(logits[:, :1]), tf.zeros_like(logits[:, 1:])], axis=1)
        # A negative equal to the target is skipped, as in word2vec.c.
        mask = tf.concat([tf.ones_like(logits[:, :1]), tf.cast(negatives != targets[:, None], tf.float32)], 1)
        mask *= weight[:, None]
        sign = 2.0 * label - 1.0
        loss = -tf.reduce_sum(tf.math.log_sigmoid(sign * logits) * mask, axis=1)
        dlogit = (tf.sigmoid(logits) - label) * mask  # d loss / d logit
        g_h = tf.einsum("nk,nkd->nd", dlogit, out)
        g_out = dlogit[:, :, None] * h[:, None, :] if dense_out else None
        # CBOW: like word2vec.c, every context word receives the full error of the mean.
        g_in = tf.gather(g_h, seg) if self.cfg.cbow else g_h
        if not dense_out:  # Adam sums the output rows' gradients itself (see _adam_apply)
            return loss, g_in, dlogit, h, ids
        return loss, g_in, tf.reshape(g_out, [-1, self.cfg.dim]), tf.reshape(ids, [-1])

    def _forward_shared(self, inputs, targets, negatives, weight):
        """Skip-gram where each group of NEGATIVES_GROUP consecutive pairs shares one row of negatives
        (negatives: [n / group, k]). Returns the loss per example, the input rows' gradients, and the
        output rows' gradients with their ids (the targets, then the groups' negatives)."""
        tf, k, d = self.tf, self.cfg.negative, self.cfg.dim
        n, g = inputs.shape[0], negatives.shape[0]
        h = tf.gather(self.w_in, inputs)  # [n, d]
        u = tf.gather(self.w_out, targets)  # [n, d]
        nv = tf.gather(self.w_out, negatives)  # [g, k, d]
        hg = tf.reshape(h, [g, n // g, d])
        pos = tf.reduce_sum(h * u, axis=1)
        logits = tf.einsum("bgd,bkd->bgk", hg, nv)
        # A negative equal to the pair's target is skipped, as in word2vec.c; padding pairs have weight 0.
        mask = tf.cast(negatives[:, None, :] != tf.reshape(targets, [g, n // g, 1]), tf.float32)
        mask *= tf.reshape(weight, [g, n // g, 1])
        loss = -(tf.math.log_sigmoid(pos) * weight
                 + tf.reshape(tf.reduce_sum(tf.math.log_sigmoid(-logits) * mask, axis=2), [n]))
        dpos = (tf.sigmoid(pos) - 1.0) * weight  # d loss / d logit
        dneg = tf.sigmoid(logits) * mask
        g_h = dpos[:, None] * u + tf.reshape(tf.einsum("bgk,bkd->bgd", dneg, nv), [n, d])
        g_neg = tf.reshape(tf.einsum("bgk,bgd->bkd", dneg, hg), [g * k, d])
        return loss, g_h, tf.concat([dpos[:, None] * h, g_neg], 0), tf.concat([targets, tf.reshape(negatives, [-1])], 0)

    def _sgd_step(self, inputs, splits, targets, negatives, weight, lr):
        """word2vec's loss and per-example learning rate; each row's step scaled by AdaGrad."""
        tf = self.tf
        if self.negatives_group > 1:
            loss, g_in, g_out, out_ids = self._forward_shared(inputs, targets, negatives, weight)
            lr_out = tf.concat([lr, tf.repeat(lr[::self.negatives_group], self.cfg.negative)], 0)
        else:
            loss, g_in, g_out, out_ids = self._forward(inputs, splits, targets, negatives, weight)
            lr_out = tf.repeat(lr, 1 + self.cfg.negative)
        lr_in = lr if not self.cfg.cbow else tf.repeat(lr, splits[1:] - splits[:-1])
        self._adagrad_add(self.w_in, self.acc_in, inputs, g_in, lr_in)
        self._adagrad_add(self.w_out, self.acc_out, out_ids, g_out, lr_out)
        return tf.reduce_sum(loss)

    def _adagrad_add(self, var, acc, rows, grads, lr):
        """Row-wise AdaGrad over examples: acc[row] += mean(g^2) per example, then every example
        moves its row by -ADAGRAD_SCALE * lr * g / sqrt(acc[row]) (the sums taken over this batch)."""
        tf = self.tf
        acc.scatter_add(tf.IndexedSlices(tf.reduce_mean(grads * grads, axis=1), rows))
        scale = (ADAGRAD_SCALE * lr) * tf.math.rsqrt(tf.gather(acc, rows) + ADAGRAD_EPS)
        var.scatter_add(tf.IndexedSlices(-grads * scale[:, None], rows))

    def _adam_step(self, inputs, splits, targets, negatives, weight, lr):
        # Distinct rows first (tf.unique has a dynamic shape, so it stays outside XLA); the gradient
        # math and the per-row sums then compile with XLA into buffers of a static size.
        rows_in, pos_in, rows_out, pos_out = self._unique(inputs, targets, negatives)
        loss, g_in, g_out = self._grads(inputs, splits, targets, negatives, weight, pos_in, pos_out)
        self._apply(rows_in, g_in, rows_out, g_out, self.tf.reduce_sum(weight), lr[0])
        return self.tf.reduce_sum(loss)

    def _unique_rows(self, inputs, targets, negatives):
        tf = self.tf
        rows_in, pos_in = tf.unique(inputs)
        rows_out, pos_out = tf.unique(tf.reshape(tf.concat([targets[:, None], negatives], axis=1), [-1]))
        return rows_in, pos_in, rows_out, pos_out

    def _adam_grads(self, inputs, splits, targets, negatives, weight, pos_in, pos_out):
        """Loss and the summed gradient of each distinct row (row r of the result <-> rows_*[r])."""
        tf = self.tf
        loss, g_in, dlogit, h, ids = self._forward(inputs, splits, targets, negatives, weight, dense_out=False)
        g_out = tf.reshape(dlogit[:, :, None] * h[:, None, :], [-1, self.cfg.dim])
        return loss, self._segment_sum(g_in, pos_in), self._segment_sum(g_out, pos_out)

    def _segment_sum(self, grad, pos):
        # At most min(occurrences, vocabulary) distinct rows: a static bound when shapes are fixed.
        n = grad.shape[0]
        bound = min(n, self.vocab_size) if n is not None else self.tf.shape(grad)[0]
        return self.tf.math.unsorted_segment_sum(grad, pos, bound)

    def _adam_apply(self, rows_in, g_in, rows_out, g_out, n, lr):
        """Adam on the mean loss of the batch, touching only the rows it used."""
        n = self.tf.maximum(n, 1.0)
        self.t.assign_add(1.0)
        self._lazy_adam(self.w_in, self.slots[0], self.slots[1], g_in[:len(rows_in)] / n, rows_in, lr)
        self._lazy_adam(self.w_out, self.slots[2], self.slots[3], g_out[:len(rows_out)] / n, rows_out, lr)

    def _lazy_adam(self, var, m, v, grad, rows, lr, b1=0.9, b2=0.999, eps=1e-7):
        """Adam on the given (distinct) rows only; grad holds their summed gradients."""
        tf = self.tf
        m_new = b1 * tf.gather(m, rows) + (1 - b1) * grad
        v_new = b2 * tf.gather(v, rows) + (1 - b2) * grad * grad
        m.scatter_update(tf.IndexedSlices(m_new, rows))
        v.scatter_update(tf.IndexedSlices(v_new, rows))
        step = lr * tf.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        var.scatter_sub(tf.IndexedSlices(step * m_new / (tf.sqrt(v_new) + eps), rows))

    # -- driver ---------------------------------------------------------------
    def step(self, batch: PairBatch, lr0: float, lr1: float):
        """Train on the batch; returns (summed loss as a device scalar, examples)."""
        n = len(batch)
        if self.cfg.optimizer == "sgd" and not LR_DECAY:
            lr0 = lr1 = self.cfg.lr  # AdaGrad's own decay only (see LR_DECAY)
        lr = np.linspace(lr0, lr1, n, dtype=np.float32) if n > 1 else np.full(n, lr0, np.float32)
        if not self.fixed_shape:
            ones = np.ones(n, np.float32)
            loss = self._call(batch.inputs, batch.row_splits, batch.targets, batch.negatives, ones, lr)
            return loss, n
        total, B, g = 0.0, self.batch_size, self.negatives_group
        negatives = self._group_negatives(batch)
        for s in range(0, n, B):
            e = min(s + B, n)
            pad = B - (e - s)
            sl = slice(s, e)
            weight = np.concatenate([np.ones(e - s, np.float32), np.zeros(pad, np.float32)])
            neg = negatives[s // g:-(-e // g)]  # B is a multiple of g: the slice's own groups
            total += self._call(_pad(batch.inputs[sl], pad), batch.row_splits, _pad(batch.targets[sl], pad),
                                _pad(neg, B // g - len(neg)), weight, _pad(lr[sl], pad))
        return total, n

    def _group_negatives(self, batch: PairBatch) -> np.ndarray:
        """The batch's negatives as this model uses them: one row per group of negatives_group pairs."""
        g = self.negatives_group
        if batch.negatives_group == g:
            return batch.negatives
        if batch.negatives_group == 1:  # a per-pair batch (e.g. made by hand): each group takes its first row
            return batch.negatives[::g]
        raise ValueError(f"batch negatives are grouped by {batch.negatives_group}, the model needs {g}")

    def _call(self, *args):
        """The step's summed loss as a device scalar: reading it would make the host wait for the device
        after every step (a GPU would idle while Python prepares the next call), so the loop reads it only
        when it reports (trainer.loop)."""
        with self.tf.device(self.device):
            return self._step(*args)


def _pad(a: np.ndarray, pad: int) -> np.ndarray:
    return a if pad == 0 else np.concatenate([a, np.zeros((pad,) + a.shape[1:], a.dtype)])


def make_model(vocab_size: int, cfg: TrainConfig, choice=None):
    """The model for `choice` (default: choose_backend(cfg), the one decision point); logs which and why.

    Raises BackendUnavailable (a ConfigError) for backend="native" where the kernel cannot run."""
    import logging  # local: this function is the only part of the module that logs

    from .backend import choose_backend

    tf = _tf()
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    choice = choice or choose_backend(cfg)
    # Logged under trainer.backend (the decision's owner); a slow fallback is a warning, so it
    # shows in server logs without any logging set-up.
    log = logging.getLogger("trainer.backend")
    (log.warning if choice.slower else log.info)("%s", choice.describe())
    if choice.name == "native":
        from . import native
        return NativeModel(vocab_size, cfg, native.load())
    gpu = choice.name == "tf-gpu"
    # The device sets the batch (TFModel.default_batch_size). A tiny vocabulary still gets a smaller one:
    # with a few hundred words every row appears hundreds of times per step, and CBOW's shared
    # context errors then diverge even with row-wise AdaGrad (tests/test_trainer_training.py).
    batch = cfg.batch_size or min(TFModel.default_batch_size(vocab_size, on_gpu=gpu), max(256, 4 * vocab_size))
    if not cfg.batch_size:
        batch -= batch % NEGATIVES_GROUP  # whole groups, so skip-gram SGD shares negatives (TFModel.__init__)
    return TFModel(vocab_size, cfg, choice.device, batch)
