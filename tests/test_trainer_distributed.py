"""Multi-device training (trainer.distributed): MirroredStrategy over 2 logical CPU devices.

TensorFlow's logical devices must be configured before TensorFlow initialises, and this
test process may already have initialised it, so the body runs in a fresh subprocess
that prints one JSON line.
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]

    from tests.synthetic import group_precision_at_k, planted_groups
    from trainer import TextSource, TrainConfig, train
    from trainer import distributed

    # The GPU probe sees no GPU here: hand it the two logical CPUs, so train() takes the mirrored path.
    distributed.mirrored_devices = lambda cfg: devices
    text, groups = planted_groups()
    cfg = TrainConfig(dim=24, window=3, negative=5, epochs=4, min_count=1, sample=0, lr=0.025, seed=3,
                      backend="tf", report_every=1)
    events = []
    res = train([TextSource.from_text(text)], cfg, on_event=events.append)
    precision = group_precision_at_k(res.vectors, res.words, groups)
    # A few steps on a fresh model: both copies must receive the same summed update.
    from trainer import prepare
    from trainer.pairs import PairPipeline
    prep = prepare([TextSource.from_text(text)], cfg)
    model = distributed.make_mirrored_model(len(prep.vocab), cfg, devices)
    start = model.input_vectors()
    for _, batch in zip(range(3), PairPipeline(prep.corpus, prep.vocab.counts, cfg, chunk_tokens=2000).epoch(0)):
        model.step(batch, 0.025, 0.025)
    same = [np.array_equal(c.numpy(), model.w_in.values[0].numpy()) for c in model.w_in.values]
    same += [np.array_equal(c.numpy(), model.w_out.values[0].numpy()) for c in model.w_out.values]
    print("RESULT " + json.dumps({
        "devices": devices, "backend": res.backend, "partial": res.partial,
        "epoch_losses": [e.loss for e in events if e.kind == "epoch_end"], "precision_at_5": precision,
        "replicas": model.replicas, "copies_equal": all(same),
        "moved": float(np.abs(model.input_vectors() - start).max()),
        "cbow_falls_back": distributed.make_mirrored_model(10, cfg.replace(cbow=True), devices) is None,
    }))
""")


@pytest.fixture(scope="module")
def child_result():
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert proc.returncode == 0 and line, proc.stderr[-4000:]
    return json.loads(line[len("RESULT "):])


def test_two_logical_devices_train_under_mirrored_strategy(child_result):
    r = child_result
    assert len(r["devices"]) == 2 and r["replicas"] == 2
    assert r["backend"] == "tf-mirrored-x2" and not r["partial"]
    assert r["copies_equal"] and r["moved"] > 0  # trained, and the mirrored copies agree


def test_mirrored_loss_falls_and_planted_groups_are_recovered(child_result):
    losses = child_result["epoch_losses"]
    assert len(losses) == 4 and losses[-1] < 0.8 * losses[0]
    assert child_result["precision_at_5"] >= 0.9


def test_unsupported_configs_stay_on_one_device(child_result):
    assert child_result["cbow_falls_back"]
