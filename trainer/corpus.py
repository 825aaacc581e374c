"""Reading and standardising text, streamed, into a compact token-id corpus: the overview.

    from trainer.corpus import TextSource, scan_corpus
    scan = scan_corpus([TextSource.from_path("sample_data/shakespeare.txt")])
    scan.stats.tokens, scan.stats.encodings        # 202_651, {'shakespeare.txt': 'utf-8'}
    vocab = scan.vocabulary(min_count=5)            # trainer.vocab.Vocabulary
    corpus = scan.encode(vocab)                     # EncodedCorpus: int32 ids + sentence offsets

The work is done in modules of one purpose each; this module re-exports their public
names so `from trainer.corpus import ...` keeps working (new code may import from the homes):

- trainer.text_source: TextSource (a file or in-memory text, read in blocks, encoding
  detected), CorpusError, BinaryInputError, BLOCK_BYTES.
- trainer.tokenizer: token_pattern, tokenize (what makes a word).
- trainer.corpus_types: CorpusStats, CorpusScan, EncodedCorpus (what a scan produces).
- trainer.scan: scan_corpus, ScanProgress, and the block helpers trainer.parallel_scan shares
  (ScannedBlock, TypeCounts, block_token_ids, split_block).
"""
from __future__ import annotations

import logging

from .corpus_types import CorpusScan, CorpusStats, EncodedCorpus
from .scan import (
    SPILL_BYTES,
    ScannedBlock,
    ScanProgress,
    TypeCounts,
    block_token_ids,
    scan_corpus,
    split_block,
)
from .text_source import BLOCK_BYTES, FALLBACK_ENCODINGS, BinaryInputError, CorpusError, TextSource
from .tokenizer import token_pattern, tokenize

logger = logging.getLogger(__name__)

__all__ = [
    "BLOCK_BYTES", "FALLBACK_ENCODINGS", "SPILL_BYTES", "BinaryInputError", "CorpusError", "CorpusScan",
    "CorpusStats", "EncodedCorpus", "ScanProgress", "ScannedBlock", "TextSource", "TypeCounts",
    "block_token_ids", "scan_corpus", "split_block", "token_pattern", "tokenize",
]
