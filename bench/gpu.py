"""Section 5: section 1 (ours vs gensim) again with our trainer on a GPU, when one is visible.

    python -m bench --only gpu [--device-name "NVIDIA H100"]
    from bench import gpu; gpu.run()

Detection: tf.config.list_physical_devices("GPU"). Without a GPU the section records one
"skipped" line and the target as SKIP. With one, throughput.run(backend="auto") trains ours
on the GPU (the trainer's "tf-gpu" path) against gensim(workers=2) on the same host's CPU,
target >= 10x. --device-name only labels the results (e.g. "1x H100"); TensorFlow's own
device description is recorded as well.
"""
from __future__ import annotations

from pathlib import Path

from .common import SAMPLE, Section

TARGET = 10.0


def visible_gpus() -> list[dict]:
    import tensorflow as tf
    out = []
    for d in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(d)
        except Exception:  # noqa: BLE001 - details are optional decoration
            details = {}
        out.append({"name": d.name, **{k: str(v) for k, v in details.items()}})
    return out


def run(device_name: str | None = None, corpus: Path | str = SAMPLE, repeats: int = 5, epochs: int | None = None,
        emit="default") -> dict:
    gpus = visible_gpus()
    label = device_name or (gpus[0].get("device_name", gpus[0]["name"]) if gpus else None)
    if not gpus:
        sec = Section("gpu") if emit == "default" else Section("gpu", emit)
        sec.record("skipped", reason="no GPU visible to TensorFlow on this machine", device_name=device_name)
        sec.target("ours/gensim(workers=2) words/s on one GPU (H100)", "not measured: no GPU here",
                   f">= {TARGET:g}x", None)
        return sec.result(summary={"skipped": True})
    from . import throughput
    res = throughput.run(corpus, repeats=repeats, epochs=epochs, backend="auto", name="gpu", emit=emit,
                         target_ratio=TARGET, device_label=f"GPU: {label}")
    res["gpus"] = gpus
    res["device_name"] = label
    return res
