"""Section 5: training on a GPU — quality and words/s against gensim, and the multi-device path.

    python -m bench --only gpu       # with a GPU: runs bench.gpu_device, then summarises
    from bench import gpu; gpu.run()

With a GPU visible to TensorFlow this runs `python -m bench.gpu_device` (quality on head500 at the
CPU and GPU batch sizes, 3 seeds; words/s on 5M words; MirroredStrategy over 2 logical GPUs) and
writes its raw records to bench/results/gpu_device.json. Without one (the usual 2-core machine) it
does not pretend: it re-summarises the records last measured on a GPU machine, stating that machine,
its GPU and the date, or reports SKIP when there are none.

Targets (issues 9 and 13): TF rows on the GPU: WordSim353 and SimLex >= gensim - 0.03 and analogy
>= 0.85x gensim (as on CPU); words/s >= 10x gensim(workers=2) of the 2-core machine — measured
here against gensim(workers=2) on the GPU host's own CPU, in the same run; the mirrored path's loss
falls epoch after epoch.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .common import QUALITY_KEYS, RESULTS, ROOT, Section, fmt, mean_quality, spread

TARGET = 10.0
WS_SL_MARGIN, ANALOGY_SHARE = 0.03, 0.85
RAW = RESULTS / "gpu_device.json"


def visible_gpus() -> list[str]:
    import tensorflow as tf
    return [d.name for d in tf.config.list_physical_devices("GPU")]


def run(device_name: str | None = None, raw: Path | str = RAW, emit="default", **_ignored) -> dict:
    sec = Section("gpu") if emit == "default" else Section("gpu", emit)
    raw = Path(raw)
    if visible_gpus():
        subprocess.run([sys.executable, "-m", "bench.gpu_device", "--out", str(raw)], cwd=ROOT, check=True)
    elif raw.exists():
        sec.note("This machine has no GPU: the figures below are the records last measured on a GPU "
                 f"machine ({raw.name}), summarised again.")
    if not raw.exists():
        sec.record("skipped", reason="no GPU visible to TensorFlow and no GPU records", device_name=device_name)
        sec.target("ours/gensim(workers=2) words/s on one GPU", "not measured: no GPU here", f">= {TARGET:g}x", None)
        return sec.result(summary={"skipped": True})
    return summarise(json.loads(raw.read_text()), sec, device_name)


def summarise(records: list[dict], sec: Section, device_name: str | None = None) -> dict:
    machine = next(r for r in records if r.get("part") == "machine")
    gpu = device_name or (machine["gpus"][0].get("device_name") if machine.get("gpus") else "GPU")
    sec.record("device", gpu=gpu, host_cpu=machine["cpu_model"], host_cores=machine["cpu_cores"],
               date=machine["date"], tensorflow=machine["versions"]["tensorflow"])
    quality = [r for r in records if r.get("part") == "quality"]
    by: dict[str, list[dict]] = {}
    for r in quality:
        by.setdefault(r["contender"], []).append(r)
    ref = next(k for k in by if k.startswith("gensim"))
    g = mean_quality(by[ref])
    table = []
    for label, rs in by.items():
        q = mean_quality(rs)
        wps = sum(r["words_per_s"] for r in rs) / len(rs)
        table.append({"contender": label, **{k: q[k] for k in QUALITY_KEYS}, "words_per_s": wps, "seeds": len(rs)})
        if label == ref:
            continue
        ok = (q["ws353"] >= g["ws353"] - WS_SL_MARGIN and q["simlex"] >= g["simlex"] - WS_SL_MARGIN
              and q["analogy"] >= ANALOGY_SHARE * g["analogy"])
        sec.target(f"{label} on {gpu}: analogy / WS353 / SimLex vs gensim (head500, mean of {len(rs)})",
                   " / ".join(f"{q[k]:.3f} vs {g[k]:.3f}" for k in QUALITY_KEYS),
                   f"WS353, SimLex >= gensim - {WS_SL_MARGIN}; analogy >= {ANALOGY_SHARE}x gensim", ok)
    sec.record("quality", table=table)
    speed = [r for r in records if r.get("part") == "speed"]
    if speed:
        ours = spread(r["words_per_s"] for r in speed if r["contender"] == "ours")
        gens = spread(r["words_per_s"] for r in speed if r["contender"] != "ours")
        ratio = ours["median"] / gens["median"]
        sec.record("speed", words=speed[0]["words"], ours=ours, gensim_host_cpu=gens, ratio=ratio)
        sec.target(f"ours on {gpu} / gensim(workers=2) on its host CPU, words/s ({speed[0]['words']:,} words)",
                   f"{ratio:.2f}x ({fmt(ours['median'])} vs {fmt(gens['median'])})", f">= {TARGET:g}x",
                   ratio >= TARGET)
    mirrored = next((r for r in records if r.get("part") == "mirrored"), None)
    if mirrored:
        losses = mirrored["epoch_losses"]
        falls = all(b < a for a, b in zip(losses, losses[1:]))
        sec.record("mirrored", **{k: v for k, v in mirrored.items() if k != "part"})
        sec.target(f"MirroredStrategy over {len(mirrored['devices'])} logical GPUs on one {gpu}: loss per epoch",
                   "loss " + " > ".join(f"{x:.3f}" for x in losses) + "; analogy / WS353 / SimLex "
                   + " / ".join(f"{mirrored[k]:.3f}" for k in QUALITY_KEYS), "falls every epoch", falls)
    errors = [r for r in records if "error" in r]
    for e in errors:
        sec.note(f"part {e['part']}: {e['error']}")
    out = sec.result(summary={"device": gpu, "table": table})
    out["measured_on"] = machine
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
