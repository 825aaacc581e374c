"""Which training engine runs, and why: one typed answer shared by the trainer, the CLI and the app.

    from trainer.backend import choose_backend
    choice = choose_backend(cfg)      # BackendChoice; cheap, builds no model
    choice.name, choice.reason        # "native", "compiled kernel for this CPU ..."
    if choice.slower: print(choice.advice)

The training loop puts the same BackendChoice into its "start" event, the CLI
prints it, and the app shows a warning when `slower` is True.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackendChoice:
    name: str  # "native" (compiled kernel), "tf" (TensorFlow ops on CPU) or "tf-gpu" (TensorFlow ops on a GPU)
    device: str  # TensorFlow device the matrices live on: "/CPU:0" or "/GPU:0"
    reason: str  # one plain sentence: why this engine was picked for this config on this machine
    slower: bool  # True when this is a fallback that trains slower than the fast path would here
    advice: str = ""  # what the user can install or change to get the fast path ("" when nothing)

    def describe(self) -> str:
        """A sentence for people: which engine, why, and what to do about a slow fallback."""
        engines = {"native": "the compiled word2vec kernel on the CPU",
                   "tf": "TensorFlow operations on the CPU",
                   "tf-gpu": "TensorFlow operations on the GPU"}
        text = f"Training with {engines.get(self.name, self.name)}: {self.reason}"
        if self.advice:
            text += f" {self.advice}"
        return text
