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
TFModel's row-wise AdaGrad needs every row's squared-gradient sum over the whole batch before
any row moves, so a step runs in two phases: the replicas' per-row sums of squared gradients
(one float per row) are all-reduced and added to the mirrored accumulators first; then each
replica scales its examples' gradients by those shared accumulators and the summed per-row
deltas are reduced as above. The update is the same as one device taking the whole batch.

Tested on CPU with two logical devices (tests/test_trainer_distributed.py): loss falls and
planted groups are recovered. No GPU was available when this was written.
"""
from __future__ import annotations

import logging

import numpy as np

from .config import TrainConfig
from .model import ADAGRAD_EPS, ADAGRAD_SCALE, LR_DECAY, TFModel, _tf

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
    per_replica = cfg.batch_size or min(65536, max(256, 4 * vocab_size))  # small vocabularies: smaller steps
    logger.info("training on %d devices with MirroredStrategy (%s), %d examples per device and step",
                len(devices), ", ".join(devices), per_replica)
    return MirroredModel(vocab_size, cfg, strategy, per_replica)


class MirroredModel(TFModel):
    """TFModel's skip-gram SGD step, data-parallel over the strategy's replicas."""

    def __init__(self, vocab_size: int, cfg: TrainConfig, strategy, per_replica_batch: int):
        tf = _tf()
        self.tf, self.cfg, self.vocab_size, self.strategy = tf, cfg, vocab_size, strategy
        self.decays_lr = LR_DECAY  # TFModel.step's rule (SGD only here)
        self.replicas = strategy.num_replicas_in_sync
        self.batch_size = per_replica_batch * self.replicas
        self.device = "mirrored"
        self.name = f"tf-mirrored-x{self.replicas}"
        self.fixed_shape = True  # TFModel.step pads to batch_size, which _call then shards
        # negatives_group stays 1 (a row of negatives per pair): the update measured on 2 logical GPUs.
        rng = np.random.default_rng(cfg.seed)  # the same initialisation as every other backend
        init = rng.uniform(-1.0 / cfg.dim, 1.0 / cfg.dim, size=(vocab_size, cfg.dim)).astype(np.float32)
        with strategy.scope():
            self.w_in = tf.Variable(init, name="input_embeddings")
            self.w_out = tf.Variable(np.zeros_like(init), name="output_embeddings")
            self.acc_in = tf.Variable(tf.zeros([vocab_size]), name="adagrad_input")
            self.acc_out = tf.Variable(tf.zeros([vocab_size]), name="adagrad_output")
        self._step = tf.function(self._distributed_step, reduce_retracing=True)

    # -- per replica --------------------------------------------------------
    def _per_row(self, values, idx):
        """Values summed per distinct row, as IndexedSlices (what crosses devices)."""
        tf = self.tf
        rows, pos = tf.unique(idx)
        summed = tf.math.unsorted_segment_sum(values, pos, tf.shape(rows)[0])
        shape = [self.vocab_size] + ([self.cfg.dim] if values.shape.rank == 2 else [])
        return tf.IndexedSlices(summed, rows, dense_shape=tf.constant(shape, tf.int64))

    def _replica_grads(self, inputs, targets, negatives, weight):
        tf = self.tf
        loss, g_in, g_out, out_ids = self._forward(inputs, None, targets, negatives, weight)
        sq_in = self._per_row(tf.reduce_mean(g_in * g_in, axis=1), inputs)
        sq_out = self._per_row(tf.reduce_mean(g_out * g_out, axis=1), out_ids)
        return tf.reduce_sum(loss), g_in, g_out, out_ids, sq_in, sq_out

    def _replica_deltas(self, inputs, g_in, out_ids, g_out, lr):
        """AdaGrad-scaled SGD deltas (TFModel._adagrad_add's rule) with the batch-wide accumulators."""
        tf = self.tf

        def delta(acc, rows, grads, rate):
            scale = (ADAGRAD_SCALE * rate) * tf.math.rsqrt(tf.gather(acc, rows) + ADAGRAD_EPS)
            return self._per_row(-grads * scale[:, None], rows)

        return (delta(self.acc_in, inputs, g_in, lr),
                delta(self.acc_out, out_ids, g_out, tf.repeat(lr, 1 + self.cfg.negative)))

    # -- cross replica --------------------------------------------------------
    def _add_all(self, pairs):
        """Sum each (per-replica IndexedSlices, mirrored variable) pair across replicas into every copy."""
        tf, s = self.tf, self.strategy
        summed = s.extended.batch_reduce_to(tf.distribute.ReduceOp.SUM, pairs)
        for (_, var), delta in zip(pairs, summed):
            s.extended.update(var, lambda v, d: v.scatter_add(d), args=(delta,), group=False)

    def _distributed_step(self, inputs, targets, negatives, weight, lr):
        tf, s = self.tf, self.strategy
        loss, g_in, g_out, out_ids, sq_in, sq_out = s.run(self._replica_grads,
                                                          args=(inputs, targets, negatives, weight))
        self._add_all([(sq_in, self.acc_in), (sq_out, self.acc_out)])  # phase 1: the accumulators
        d_in, d_out = s.run(self._replica_deltas, args=(inputs, g_in, out_ids, g_out, lr))
        self._add_all([(d_in, self.w_in), (d_out, self.w_out)])  # phase 2: the rows
        return s.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)

    def _call(self, inputs, splits, targets, negatives, weight, lr):
        """One padded batch (from TFModel.step), cut into one equal shard per replica."""
        del splits  # skip-gram only
        r = self.replicas

        def shard(a):
            parts = np.split(a, r)
            return self.strategy.experimental_distribute_values_from_function(
                lambda ctx: parts[ctx.replica_id_in_sync_group])

        return self._step(*(shard(a) for a in (inputs, targets, negatives, weight, lr)))  # read when reported
