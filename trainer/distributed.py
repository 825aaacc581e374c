"""Skip-gram SGD on several devices of one machine with tf.distribute.MirroredStrategy.

    from trainer.distributed import make_mirrored_model
    model = make_mirrored_model(vocab_size, cfg) or make_model(vocab_size, cfg)   # what train() does
    loss_sum, n = model.step(batch, lr0, lr1)          # same interface as trainer.model.TFModel

Used automatically when TensorFlow sees more than one GPU and cfg.backend is "auto" or
"tf" (the native kernel is CPU-only). CBOW and Adam stay on one device, with a warning.

Design, and why. Both embedding matrices are mirrored (one copy per device). Each step's
padded batch is cut into one shard per replica; every replica runs the TF-ops math of
trainer.model.TFModel on its shard and produces per-row SGD deltas. Under all-reduce,
TensorFlow cannot sum tf.IndexedSlices element-wise: it all-gathers indices and values
("Efficient allreduce is not supported for n IndexedSlices", reduce-to-one-device then
broadcast; tensorflow/tensorflow#53160), so traffic grows with rows sent x replicas. A
dense all-reduce of the V x dim matrices instead costs the whole vocabulary per step. So
each replica first sums its deltas per distinct row (tf.unique + unsorted_segment_sum):
what is gathered is at most min(rows touched, V) rows per replica - for Zipfian text a
batch's 49k output-row updates collapse to a few thousand rows. Every copy then applies
the same summed deltas with scatter_add, so the copies stay identical (no averaging drift).
The per-row damping of TFModel (at most ROW_CAP summed terms per row and step) is split
across replicas (ROW_CAP / replicas each), so the summed step keeps the same bound.

Tested on CPU with two logical devices (tests/test_trainer_distributed.py): loss falls and
planted groups are recovered. No GPU was available when this was written.
"""
from __future__ import annotations

import logging

import numpy as np

from .config import TrainConfig
from .model import ROW_CAP, TFModel, _tf

logger = logging.getLogger(__name__)


def mirrored_devices(cfg: TrainConfig) -> list[str]:
    """The GPUs to mirror over: all visible ones when there are two or more, else none."""
    if cfg.backend not in ("auto", "tf"):
        return []
    tf = _tf()
    gpus = tf.config.list_logical_devices("GPU")
    return [g.name for g in gpus] if len(gpus) > 1 else []


def make_mirrored_model(vocab_size: int, cfg: TrainConfig, devices: list[str] | None = None):
    """A MirroredModel over `devices` (default: mirrored_devices(cfg)), or None when one device is all there is."""
    devices = mirrored_devices(cfg) if devices is None else list(devices)
    if len(devices) < 2:
        return None
    if cfg.cbow or cfg.optimizer != "sgd":
        logger.warning("%d devices visible, but multi-device training supports skip-gram with SGD only; "
                       "training on %s alone", len(devices), devices[0])
        return None
    tf = _tf()
    # Sparse deltas are reduced on one device and broadcast: this is what MirroredStrategy does with
    # IndexedSlices on GPUs anyway, and its collective all-gather path requires equal shapes on every
    # replica, which per-row sums (a different number of distinct rows per replica) do not have.
    strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    per_replica = cfg.batch_size or min(65536, max(256, 4 * vocab_size))
    logger.info("training on %d devices with MirroredStrategy (%s), %d examples per device and step",
                len(devices), ", ".join(devices), per_replica)
    return MirroredModel(vocab_size, cfg, strategy, per_replica)


class MirroredModel(TFModel):
    """TFModel's skip-gram SGD step, data-parallel over the strategy's replicas."""

    def __init__(self, vocab_size: int, cfg: TrainConfig, strategy, per_replica_batch: int):
        tf = _tf()
        self.tf, self.cfg, self.vocab_size, self.strategy = tf, cfg, vocab_size, strategy
        self.replicas = strategy.num_replicas_in_sync
        self.batch_size = per_replica_batch * self.replicas
        self.device = "mirrored"
        self.name = f"tf-mirrored-x{self.replicas}"
        self.fixed_shape = True  # TFModel.step pads to batch_size, which _call then shards
        rng = np.random.default_rng(cfg.seed)  # the same initialisation as every other backend
        init = rng.uniform(-0.5 / cfg.dim, 0.5 / cfg.dim, size=(vocab_size, cfg.dim)).astype(np.float32)
        with strategy.scope():
            self.w_in = tf.Variable(init, name="input_embeddings")
            self.w_out = tf.Variable(np.zeros_like(init), name="output_embeddings")
        self._step = tf.function(self._distributed_step, reduce_retracing=True)

    # -- per replica --------------------------------------------------------
    def _damping(self, idx):
        """min(1, (ROW_CAP / replicas) / occurrences of the row in this replica's shard)."""
        tf = self.tf
        hits = tf.math.unsorted_segment_sum(tf.ones_like(idx, tf.float32), idx, self.vocab_size)
        return tf.minimum(1.0, (ROW_CAP / self.replicas) / tf.gather(hits, idx))

    def _per_row(self, delta, idx):
        """Deltas summed per distinct row, as IndexedSlices (what crosses devices)."""
        tf = self.tf
        rows, pos = tf.unique(idx)
        summed = tf.math.unsorted_segment_sum(delta, pos, tf.shape(rows)[0])
        return tf.IndexedSlices(summed, rows, dense_shape=tf.constant([self.vocab_size, self.cfg.dim], tf.int64))

    def _replica_step(self, inputs, targets, negatives, weight, lr):
        tf = self.tf
        loss, g_in, g_out, out_ids = self._forward(inputs, None, targets, negatives, weight)
        d_in = self._per_row(-g_in * (lr * self._damping(inputs))[:, None], inputs)
        lr_out = tf.repeat(lr, 1 + self.cfg.negative) * self._damping(out_ids)
        d_out = self._per_row(-g_out * lr_out[:, None], out_ids)
        return tf.reduce_sum(loss), d_in, d_out

    # -- cross replica --------------------------------------------------------
    def _distributed_step(self, inputs, targets, negatives, weight, lr):
        tf, s = self.tf, self.strategy
        loss, d_in, d_out = s.run(self._replica_step, args=(inputs, targets, negatives, weight, lr))
        summed = s.extended.batch_reduce_to(tf.distribute.ReduceOp.SUM, [(d_in, self.w_in), (d_out, self.w_out)])
        for var, delta in zip((self.w_in, self.w_out), summed):
            s.extended.update(var, lambda v, d: v.scatter_add(d), args=(delta,), group=False)
        return s.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)

    def _call(self, inputs, splits, targets, negatives, weight, lr) -> float:
        """One padded batch (from TFModel.step), cut into one equal shard per replica."""
        del splits  # skip-gram only
        r = self.replicas

        def shard(a):
            parts = np.split(a, r)
            return self.strategy.experimental_distribute_values_from_function(
                lambda ctx: parts[ctx.replica_id_in_sync_group])

        return float(self._step(*(shard(a) for a in (inputs, targets, negatives, weight, lr))))
