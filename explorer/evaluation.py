"""Quality evaluation: analogy accuracy (Google questions-words format) and word-pair similarity (Spearman).

    from explorer import evaluate_analogies, evaluate_similarity

    rep = evaluate_analogies(vec, "questions-words.txt")        # path, bytes or file-like (+ name=...)
    rep.accuracy, rep.answered, rep.questions, rep.oov_rate     # overall
    rep.rows()                                                  # one dict per section + "total", for a table
    rep.mistakes[:10]                                           # (section, a, b, c, expected, predicted)
    sim = evaluate_similarity(vec, "wordsim353.tsv")
    sim.spearman, sim.pearson, sim.used, sim.pairs, sim.oov_rate, sim.details[:5]

Analogy files: ": section name" lines start sections; every other non-blank line is "a b c d" (a is to b as c is to
d) and is answered with the best word for b - a + c among the top `restrict_vocab` words (default 300,000, as
gensim's evaluate_word_analogies; its older accuracy() used 30,000), excluding a, b and c. Questions with a word
outside those top words count as out-of-vocabulary (skipped, reported per section). Case-insensitive by default:
words are compared upper-cased and the most frequent case variant stands for a word, as in gensim's
evaluate_word_analogies, so the numbers match gensim on the same vectors. method="3cosmul" uses Levy & Goldberg's
multiplicative objective instead.

Pair files: "word1 word2 score" per line, separated by tabs, commas or spaces; '#' lines are comments; lines
whose third field is not a number (e.g. a header row) are skipped and listed in `invalid_lines`.
Spearman's rho is computed here with average ranks for ties (no scipy needed).

No evaluation set is shipped with the explorer; the user supplies one (e.g. questions-words.txt from the
original word2vec distribution, or WordSim-353 / SimLex-999 under their own terms).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .loaders import read_text

if TYPE_CHECKING:
    from .loaders import Source
    from .vectors import Vectors


@dataclass
class SectionScore:
    """Results of one ": section" of an analogy file (or the total)."""

    name: str
    questions: int = 0  # question lines in the section
    answered: int = 0  # questions whose four words are all in the vocabulary searched
    correct: int = 0

    @property
    def oov(self) -> int:
        return self.questions - self.answered

    @property
    def accuracy(self) -> float:
        """correct / answered (NaN when nothing could be answered)."""
        return self.correct / self.answered if self.answered else math.nan

    @property
    def oov_rate(self) -> float:
        return self.oov / self.questions if self.questions else math.nan


@dataclass
class AnalogyReport:
    source: str
    method: str
    restrict_vocab: int
    sections: list[SectionScore]
    total: SectionScore
    invalid_lines: list[int] = field(default_factory=list)  # line numbers of lines that are not 4 words
    mistakes: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)  # first 500 wrong answers

    @property
    def accuracy(self) -> float:
        return self.total.accuracy

    @property
    def oov_rate(self) -> float:
        return self.total.oov_rate

    @property
    def questions(self) -> int:
        return self.total.questions

    @property
    def answered(self) -> int:
        return self.total.answered

    def rows(self) -> list[dict[str, Any]]:
        """One dict per section and a last "total" row: section, accuracy, correct, answered, questions, oov."""
        return [{"section": s.name, "accuracy": s.accuracy, "correct": s.correct, "answered": s.answered,
                 "questions": s.questions, "oov_rate": s.oov_rate} for s in [*self.sections, self.total]]


@dataclass
class SimilarityReport:
    source: str
    spearman: float
    pearson: float
    pairs: int  # valid pair lines in the file
    used: int  # pairs with both words in the vocabulary searched
    invalid_lines: list[int] = field(default_factory=list)
    details: list[tuple[str, str, float, float]] = field(default_factory=list)  # (w1, w2, gold, cosine) used

    @property
    def oov(self) -> int:
        return self.pairs - self.used

    @property
    def oov_rate(self) -> float:
        return self.oov / self.pairs if self.pairs else math.nan


def _vocab(vectors: Vectors, restrict_vocab: int | None, case_insensitive: bool) -> tuple[int, dict[str, int]]:
    limit = len(vectors) if not restrict_vocab else min(int(restrict_vocab), len(vectors))
    vocab: dict[str, int] = {}
    for i, w in enumerate(vectors.words[:limit]):
        vocab.setdefault(w.upper() if case_insensitive else w, i)  # the most frequent variant stands for all
    return limit, vocab


def evaluate_analogies(vectors: Vectors, source: Source, name: str | None = None, *, restrict_vocab: int = 300_000,
                       case_insensitive: bool = True, method: str = "3cosadd", batch_size: int = 256,
                       progress: Callable[[float, str], None] | None = None) -> AnalogyReport:
    """Accuracy on an analogy file (see the module docstring); per section, with out-of-vocabulary counts."""
    if method not in ("3cosadd", "3cosmul"):
        raise ValueError("method must be '3cosadd' or '3cosmul'")
    text, name = read_text(source, name)
    limit, vocab = _vocab(vectors, restrict_vocab, case_insensitive)
    sections: list[SectionScore] = []
    invalid: list[int] = []
    asked: list[tuple[int, int, int, int, int]] = []  # (section, a, b, c, expected) rows
    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            sections.append(SectionScore(line[1:].strip()))
            continue
        parts = line.split()
        if len(parts) != 4:
            invalid.append(line_no)
            continue
        if not sections:
            sections.append(SectionScore("(no section)"))
        sections[-1].questions += 1
        idx = [vocab.get(p.upper() if case_insensitive else p) for p in parts]
        if None not in idx:
            sections[-1].answered += 1
            asked.append((len(sections) - 1, *idx))  # type: ignore[arg-type]
    if not any(s.questions for s in sections):
        raise ValueError(f"{name}: no analogy questions found (expected ': section' lines and 'a b c d' lines)")
    words = vectors.words
    canon = np.array([vocab[w.upper() if case_insensitive else w] for w in words[:limit]], dtype=np.int64)
    variants = _variants(canon)
    keys = np.fromiter(variants, dtype=np.int64, count=len(variants))
    unit = vectors.unit[:limit]
    q = np.array(asked, dtype=np.int64).reshape(-1, 5)
    mistakes: list[tuple[str, str, str, str, str, str]] = []
    for start in range(0, len(q), batch_size):
        sec, a, b, c, d = q[start:start + batch_size].T
        if method == "3cosadd":
            scores = (unit[b] - unit[a] + unit[c]) @ unit.T
        else:
            sa, sb, sc = ((1.0 + unit[x] @ unit.T) / 2.0 for x in (a, b, c))
            scores = sb * sc / (sa + 1e-6)
        rows = np.arange(len(a))
        for x in (a, b, c):
            scores[rows, x] = -np.inf
        if variants:  # also exclude other case variants of a, b and c
            for r in np.flatnonzero(np.isin(a, keys) | np.isin(b, keys) | np.isin(c, keys)):
                for x in (a[r], b[r], c[r]):
                    scores[r, variants.get(int(x), [])] = -np.inf
        pred = np.argmax(scores, axis=1)
        ok = canon[pred] == d
        for r in range(len(a)):
            if ok[r]:
                sections[sec[r]].correct += 1
            elif len(mistakes) < 500:
                mistakes.append((sections[sec[r]].name, words[a[r]], words[b[r]], words[c[r]], words[d[r]],
                                 words[pred[r]]))
        if progress is not None:
            progress(min(1.0, (start + len(a)) / len(q)), f"analogies: {start + len(a):,}/{len(q):,} answered")
    total = SectionScore("total", sum(s.questions for s in sections), sum(s.answered for s in sections),
                         sum(s.correct for s in sections))
    return AnalogyReport(name, method, limit, sections, total, invalid, mistakes)


def _variants(canon: np.ndarray) -> dict[int, list[int]]:
    """canonical row -> all rows folding to it, for words with several case variants."""
    out: dict[int, list[int]] = {}
    for row in np.flatnonzero(canon != np.arange(len(canon))):
        out.setdefault(int(canon[row]), [int(canon[row])]).append(int(row))
    return out


def evaluate_similarity(vectors: Vectors, source: Source, name: str | None = None, *,
                        restrict_vocab: int = 300_000, case_insensitive: bool = True) -> SimilarityReport:
    """Spearman (and Pearson) correlation of cosine similarities with the human scores of a word-pair file."""
    text, name = read_text(source, name)
    _, vocab = _vocab(vectors, restrict_vocab, case_insensitive)
    unit = vectors.unit
    invalid: list[int] = []
    gold: list[float] = []
    model: list[float] = []
    details: list[tuple[str, str, float, float]] = []
    pairs = 0
    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sep = "\t" if "\t" in line else "," if "," in line else None
        parts = [p.strip() for p in line.split(sep)]
        try:
            if len(parts) < 3 or not parts[0] or not parts[1]:
                raise ValueError
            score = float(parts[2])
        except ValueError:
            invalid.append(line_no)
            continue
        pairs += 1
        i, j = (vocab.get(p.upper() if case_insensitive else p) for p in parts[:2])
        if i is None or j is None:
            continue
        sim = float(unit[i] @ unit[j])
        gold.append(score)
        model.append(sim)
        details.append((parts[0], parts[1], score, sim))
    if not gold:
        if pairs == 0:
            detail = (f"none of its {len(invalid)} line(s) reads as 'word1 word2 score'" if invalid
                      else "it holds no 'word1 word2 score' lines")
        else:
            detail = f"none of its {pairs} pair(s) has both words in this model's vocabulary"
            if invalid:
                detail += f" (and {len(invalid)} other line(s) do not read as 'word1 word2 score')"
        raise ValueError(f"{name}: no usable word pairs: {detail}")
    return SimilarityReport(name, spearman(gold, model), pearson(gold, model), pairs, len(gold), invalid, details)


def rankdata(x: Any) -> np.ndarray:
    """Ranks from 1, ties given the average of the ranks they span (scipy.stats.rankdata 'average')."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(xs)]
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def pearson(x: Any, y: Any) -> float:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2:
        return math.nan
    xc, yc = x - x.mean(), y - y.mean()
    den = math.sqrt(float(xc @ xc) * float(yc @ yc))
    return float(xc @ yc / den) if den > 0 else math.nan


def spearman(x: Any, y: Any) -> float:
    """Spearman's rho: the Pearson correlation of average ranks (NaN when either side is constant)."""
    return pearson(rankdata(x), rankdata(y))
