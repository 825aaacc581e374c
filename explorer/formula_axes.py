"""Formula axes: place words on two user-written directions, e.g. x = "woman - man", y = "rich - poor".

    from explorer.formula_axes import parse_formula, project_formula, FormulaError

    f = parse_formula("woman - man")            # Formula(terms=((+1, "woman"), (-1, "man")))
    f.check(vec)                                # FormulaError naming every unknown word (with suggestions)
    p = project_formula(vec, "woman - man", "rich - poor", words=m.words)   # every mapped word
    p.words, p.x, p.y                           # placed words and their coordinates
    p.unplaced                                  # [(word, reason)]: not in the vectors, or a zero vector
    from explorer.figures_compare import formula_figure; st.plotly_chart(formula_figure(p))

Syntax: words joined by "+" and "-" written as separate tokens ("a + b - c"; a leading "-" is allowed, and
"-man" is read as "- man"). A "-" inside a word is part of the word, so "well-known" is one word; "woman-man"
is therefore one (unknown) word, and the error says to put spaces around the operator. One word alone is an axis
too ("king"). At most MAX_TERMS words per axis.

Maths (exact, no approximation): the axis is the signed sum of the terms' unit vectors, scaled to length 1;
a word's coordinate is the dot product of its unit vector with that axis, i.e. the cosine between the word and
the axis direction, in [-1, 1]. With normalize=False the raw vectors are summed and dotted instead (the axis is
still not rescaled), which rewards long (frequent) vectors.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .vectors import Vectors

logger = logging.getLogger(__name__)

MAX_TERMS = 10
MAX_LENGTH = 200  # characters per formula


class FormulaError(ValueError):
    """A formula cannot be read or used. Attributes: formula, unknown (words not in the vectors)."""

    def __init__(self, message: str, formula: str = "", unknown: Sequence[str] = ()):
        super().__init__(message)
        self.formula, self.unknown = formula, list(unknown)


@dataclass(frozen=True)
class Formula:
    """A parsed axis: signed words. str(f) gives the normalised text ("woman - man")."""

    terms: tuple[tuple[int, str], ...]  # (+1 or -1, word)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for _, w in self.terms)

    def __str__(self) -> str:
        out = []
        for i, (sign, word) in enumerate(self.terms):
            out.append(("- " if sign < 0 else "") + word if i == 0 else ("- " if sign < 0 else "+ ") + word)
        return " ".join(out)

    def check(self, vec: Vectors) -> None:
        """FormulaError naming every word of the formula that `vec` does not hold (with close spellings)."""
        unknown = [w for w in dict.fromkeys(self.words) if w not in vec]
        if not unknown:
            return
        parts = []
        for w in unknown:
            hint = vec.suggest(w, 3)
            if "-" in w.strip("-") and all(p in vec for p in w.split("-") if p):
                hint = [w.replace("-", " - ")] + hint  # "woman-man": spaces were probably meant
            parts.append(repr(w) + (f" (did you mean {', '.join(repr(h) for h in hint)}?)" if hint else ""))
        raise FormulaError(f"not in the vocabulary of {vec.name}: " + "; ".join(parts), str(self), unknown)

    def vector(self, vec: Vectors, normalize: bool = True) -> np.ndarray:
        """The axis direction (float64 [dim]); unit length when normalize. FormulaError if unknown or zero."""
        self.check(vec)
        rows = [vec.index_of(w) for w in self.words]
        source = vec.unit if normalize else vec.matrix
        signs = np.array([s for s, _ in self.terms], dtype=np.float64)
        axis = signs @ np.asarray(source[rows], dtype=np.float64)
        length = float(np.linalg.norm(axis))
        if length < 1e-9:
            raise FormulaError(f"the axis {str(self)!r} is zero (its words cancel out); choose other words",
                               str(self))
        return axis / length if normalize else axis


def parse_formula(text: str) -> Formula:
    """Parse "woman - man", "king", "a + b - c" into a Formula; FormulaError with a clear sentence otherwise."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    src = text.strip()
    if not src:
        raise FormulaError("the formula is empty: type a word, or two words joined by - (e.g. 'woman - man')")
    if len(src) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(src)} characters long; keep it under {MAX_LENGTH}", src[:40])
    tokens: list[str] = []
    for tok in src.split():
        # "-man" / "+king": a sign glued to the front of a word is an operator; a "-" inside a word is not.
        if len(tok) > 1 and tok[0] in "+-" and tok[1] not in "+-":
            tokens += [tok[0], tok[1:]]
        else:
            tokens.append(tok)
    terms: list[tuple[int, str]] = []
    sign: int | None = None  # the operator waiting for its word
    for tok in tokens:
        if tok in ("+", "-"):
            if sign is not None:
                raise FormulaError(f"two operators in a row in {src!r}: put a word between them", src)
            sign = -1 if tok == "-" else 1
            continue
        if set(tok) <= set("+-"):
            raise FormulaError(f"{tok!r} in {src!r} is not a word or an operator: use single + and - signs", src)
        if terms and sign is None:
            raise FormulaError(f"missing + or - between {terms[-1][1]!r} and {tok!r} in {src!r}", src)
        terms.append((1 if sign is None else sign, tok))
        sign = None
    if sign is not None:
        raise FormulaError(f"{src!r} ends with an operator: add the word it applies to", src)
    if not terms:
        raise FormulaError(f"{src!r} holds no word", src)
    if len(terms) > MAX_TERMS:
        raise FormulaError(f"{src!r} has {len(terms)} words; an axis takes at most {MAX_TERMS}", src)
    return Formula(tuple(terms))


@dataclass(frozen=True, eq=False)
class FormulaProjection:
    """Words placed on two formula axes. x, y are float32 [len(words)], read-only."""

    x_formula: Formula
    y_formula: Formula
    words: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    unplaced: tuple[tuple[str, str], ...]  # (word, why it could not be placed)
    normalize: bool = True
    name: str = "vectors"

    @property
    def x_label(self) -> str:
        return str(self.x_formula)

    @property
    def y_label(self) -> str:
        return str(self.y_formula)

    def coordinate(self, word: str) -> tuple[float, float]:
        i = self.words.index(word)
        return float(self.x[i]), float(self.y[i])


def project_formula(vec: Vectors, x: str | Formula, y: str | Formula, words: Sequence[str] | None = None,
                    *, normalize: bool = True) -> FormulaProjection:
    """Place `words` (default: every word of `vec`) on the axes x and y (see the module docstring).

    Words missing from `vec` (e.g. a map from another run) or with a zero vector are listed in `unplaced`."""
    fx = x if isinstance(x, Formula) else parse_formula(x)
    fy = y if isinstance(y, Formula) else parse_formula(y)
    unknown = [w for w in dict.fromkeys(fx.words + fy.words) if w not in vec]
    if unknown:  # name every unknown word of both axes at once
        try:
            Formula(tuple((1, w) for w in unknown)).check(vec)
        except FormulaError as e:
            raise FormulaError(str(e), f"x = {fx}, y = {fy}", unknown) from None
    ax, ay = fx.vector(vec, normalize), fy.vector(vec, normalize)
    if words is None:
        rows = np.arange(len(vec))
        unplaced: list[tuple[str, str]] = []
    else:
        found = [(w, vec.index_of(w) if w in vec else None) for w in words]
        unplaced = [(w, f"not in {vec.name}") for w, i in found if i is None]
        rows = np.array([i for _, i in found if i is not None], dtype=np.int64)
    source = vec.unit if normalize else vec.matrix
    if normalize and len(rows):  # a zero vector has no direction: it cannot be placed on a cosine axis
        zero = vec.sq_norms[rows] == 0
        unplaced += [(vec.words[i], "zero vector") for i in rows[zero]]
        rows = rows[~zero]
    xs, ys = np.empty(len(rows)), np.empty(len(rows))
    for s in range(0, len(rows), 65_536):  # float64 in blocks: exact sums without a full float64 copy
        m = np.asarray(source[rows[s:s + 65_536]], dtype=np.float64)
        xs[s:s + 65_536], ys[s:s + 65_536] = m @ ax, m @ ay
    if unplaced:
        logger.info("formula axes: %d word(s) could not be placed", len(unplaced))
    out_x, out_y = xs.astype(np.float32), ys.astype(np.float32)
    out_x.setflags(write=False)
    out_y.setflags(write=False)
    return FormulaProjection(fx, fy, tuple(vec.words[i] for i in rows), out_x, out_y, tuple(unplaced),
                             normalize, vec.name)
