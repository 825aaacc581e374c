"""trainer: correct, fast skip-gram / CBOW negative-sampling word2vec in TensorFlow.

    from trainer import train, preset, TextSource, CancelToken
    result = train(["sample_data/shakespeare.txt"], preset("word2vec defaults"), on_event=print)
    result.save("runs/shakespeare")          # RunResult.load("runs/shakespeare")
    result.save_word2vec("vectors.txt")      # gensim-loadable; export_projector("dir") for TSVs

Command line: python -m trainer CORPUS... --out DIR [--preset NAME] (see --help).
Importing this package does not import TensorFlow; training does.
"""
from .config import PRESETS, ConfigError, TrainConfig, preset
from .corpus_types import CorpusScan
from .events import CancelToken, TrainEvent
from .job import JobStatus, JobView, TrainingJob
from .loop import Prepared, learning_rate, prepare, train
from .result import RunFormatError, RunResult
from .scan import scan_corpus
from .text_source import CorpusError, TextSource
from .tokenizer import tokenize
from .vocab import Vocabulary

__all__ = [
    "PRESETS", "ConfigError", "TrainConfig", "preset", "CorpusError", "CorpusScan", "TextSource", "scan_corpus",
    "tokenize", "CancelToken", "TrainEvent", "TrainingJob", "JobStatus", "JobView", "Prepared", "learning_rate",
    "prepare", "train",
    "RunFormatError", "RunResult", "Vocabulary",
]
