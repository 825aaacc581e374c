"""Probe words during training: pick defaults, and follow each probe's neighbours from epoch to epoch.

    from explorer.probe_view import ProbeHistory, default_probe_words

    cfg = cfg.replace(probe_words=tuple(default_probe_words(scan_words, scan_counts)))   # e.g. ("king", "love")
    history = ProbeHistory()
    history.add(ev.epoch, ev.probes)          # for each epoch_end TrainEvent (from the job's typed view)
    history = ProbeHistory.from_snapshots(view["probes"])   # or at once from [(epoch, probes), ...]
    for word, rows in history.latest().items():
        for r in rows: ...                    # ProbeRow(rank, neighbour, cosine, new): new = not in last epoch's top
    history.table("king")                     # DataFrame: epoch, rank, neighbour, cosine, new (every epoch)
    history.markdown("king")                  # "**queen** (new) 0.71 · prince 0.64 · ..." (words escaped)

`new` marks a neighbour that was not among the probe's neighbours at the previous epoch (at the first epoch,
none is new: there is nothing to compare with). The trainer side is trainer/probes.py.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .figures import escape_markdown

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

PREFERRED = ("king", "love")  # the demo's story on the bundled Shakespeare: watch 'king' find 'queen'
# A small English stopword list (function words, auxiliaries, archaic pronouns of the sample): probes are
# more telling on content words.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same shall she should so some such than that the their
theirs them themselves then there these they this those through to too under until up upon very was we were
what when where which while who whom why will with would you your yours yourself yourselves s t d ll m o re ve
y thou thee thy thine ye hath doth art o let us may must might one yet say said come go well o'er tis 'tis
""".split())


def default_probe_words(words: Sequence[str], counts: Sequence[int] | None = None, n: int = 3,
                        preferred: Sequence[str] = PREFERRED) -> list[str]:
    """Up to n probes: the `preferred` words present in `words`, then the most frequent content words.

    `words` most frequent first (a Vocabulary or Vectors order); with `counts` they are sorted by count first.
    Content word: not a stopword, at least 3 letters, alphabetic."""
    n = max(0, min(int(n), 5))
    if counts is not None:
        order = sorted(range(len(words)), key=lambda i: -int(counts[i]))
        words = [words[i] for i in order]
    present = set(words)
    out = [w for w in preferred if w in present][:n]
    for w in words:
        if len(out) >= n:
            break
        if w not in out and w.lower() not in STOPWORDS and len(w) >= 3 and w.isalpha():
            out.append(w)
    return out


@dataclass(frozen=True)
class ProbeRow:
    rank: int  # 1 = nearest
    neighbour: str
    cosine: float
    new: bool  # not among this probe's neighbours at the previous epoch


@dataclass
class ProbeHistory:
    """Per-epoch probe neighbours, in arrival order. Plain data: safe to build on the script thread from events
    a worker stored."""

    epochs: list[int] = field(default_factory=list)
    snapshots: list[dict[str, list[tuple[str, float]]]] = field(default_factory=list)

    @classmethod
    def from_snapshots(cls, snapshots: Sequence[tuple[int, Mapping[str, Sequence[tuple[str, float]]] | None]]
                       ) -> ProbeHistory:
        """From (epoch, probes) pairs in arrival order, e.g. what the training job's view keeps."""
        h = cls()
        for epoch, probes in snapshots:
            h.add(epoch, probes)
        return h

    def add(self, epoch: int, probes: Mapping[str, Sequence[tuple[str, float]]] | None) -> None:
        """Record one epoch_end's probes (None or empty is ignored; a repeated epoch replaces the last one)."""
        if not probes:
            return
        snap = {str(w): [(str(n), float(c)) for n, c in rows] for w, rows in probes.items()}
        if self.epochs and self.epochs[-1] == epoch:
            self.snapshots[-1] = snap
        else:
            self.epochs.append(int(epoch))
            self.snapshots.append(snap)

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def words(self) -> list[str]:
        """Probe words seen, in first-seen order."""
        return list(dict.fromkeys(w for s in self.snapshots for w in s))

    def rows(self, word: str, at: int = -1) -> list[ProbeRow]:
        """The probe's neighbours in snapshot `at` (default: the latest), new ones flagged."""
        if not self.snapshots:
            return []
        at = at % len(self.snapshots)
        current = self.snapshots[at].get(word, [])
        before = {n for n, _ in self.snapshots[at - 1].get(word, [])} if at > 0 else None
        return [ProbeRow(r, n, c, before is not None and n not in before)
                for r, (n, c) in enumerate(current, start=1)]

    def latest(self) -> dict[str, list[ProbeRow]]:
        return {w: self.rows(w) for w in self.words}

    def new_neighbours(self, word: str, at: int = -1) -> list[str]:
        return [r.neighbour for r in self.rows(word, at) if r.new]

    def table(self, word: str) -> pd.DataFrame:
        """Every epoch's neighbours of `word`: epoch (1-based), rank, neighbour, cosine, new."""
        import pandas as pd

        recs = [{"epoch": self.epochs[i] + 1, "rank": r.rank, "neighbour": r.neighbour, "cosine": r.cosine,
                 "new": r.new} for i in range(len(self.snapshots)) for r in self.rows(word, i)]
        return pd.DataFrame(recs, columns=["epoch", "rank", "neighbour", "cosine", "new"])

    def markdown(self, word: str) -> str:
        """One line for st.markdown: new neighbours in bold with "(new)"; every word escaped."""
        parts = [(f"**{escape_markdown(r.neighbour)}** (new)" if r.new else escape_markdown(r.neighbour))
                 + f" {r.cosine:.2f}" for r in self.rows(word)]
        return " · ".join(parts) if parts else "no neighbours yet"
