"""The valence rules: how the valence of each cue match is read from its sentence.

The sentence is cut into *clauses* at punctuation and at contrast words (:data:`ADVERSATIVES`:
*tapi, tetapi, namun, padahal, sedangkan, melainkan*; *cuma, hanya saja* only at the start of
a clause) and concessive words (:data:`CONCESSIVES`: *walaupun, meskipun, biarpun, walau,
meski, kendati*). The word lists named here are in :mod:`uppks_qual.autocode.lexicon`.

*Polarity words.* The ``positive``/``negative`` cues of the code and its ancestors, plus
general ones (:data:`GENERAL_POSITIVE`: *lancar, rajin, jelas*...; :data:`GENERAL_NEGATIVE`:
*macet, terlambat, simpang siur*...), also inside the match itself. A cue written in its
base form (every word its own lemma: *macet*) matches any form with that lemma except
suffixed derivations (*-an, -kan, -i, ke-an, pe-an, se-nya*: *keputusan, pencairan,
menjelaskan, sebenarnya* name an act or a thing and do not evaluate); a cue written in a
derived form (*teratur, tunggakan*) matches only as written. Of overlapping cues the longest
counts, the code's own before a general one; each word counts once, a general one 0.75.
Words of fixed phrases (:data:`NEUTRAL_PHRASES`: *salah satu, tidak hanya, paling lambat,
cadiak pandai*...) and of multi-word hedges (*kalau tidak salah*) count neither as polarity
words nor as negators.

*Clause score.* Inside a clause a negator (:data:`NEGATORS`: *tidak, tak, indak, ndak, nda,
alun, belum, bukan, kurang, jarang, tanpa, jangan*...) flips the next polarity word; two
negators before it cancel (double negation). Negation never crosses a clause break, nor a
subordinator or coordinator inside the clause (:data:`SCOPE_STOPS`: *bahwa, karena, kalau,
supaya, dan, lalu*...). Negators left with no polarity word after them count -1 ("PLKB
*tidak* datang"), or +1 when there are two ("*tanpa* dia kami *tidak* sampai begini"). A
clause with a wish or recommendation (:data:`WISHES`: *ingin, mestinya, sebaiknya, kalau
bisa, semoga*...) counts -1: what is wished for is lacking. A hedged clause
(:data:`HEDGES`: *mungkin, barangkali, kalau tidak salah, agak, sedikit*...) counts half. A
condition of absence followed by a negative clause ("*kalau tidak ada* beliau, *susah* kami
masuk") counts +1 for both: what is missing is needed.

*Sentence.* The match takes, in this order: (a) the score of the last later clause that
follows a contrast word, has a polarity and is not about another factor only (contrast
gives the later clause the final say: "Waktu awal memang ada yang curiga, tapi sekarang
sudah percaya" is positive); (b) if the match is in a concessive clause, the polarity of the
other clauses (the main clause wins: "Walaupun angsuran terlambat, modal bertambah" is
positive); (c) its own clause's score; (d) half the score of its own contrast segment or,
failing that, of the sentence (the last segment with a polarity; concessive clauses only if
nothing else has one); (e) a quarter of the sentence's score read with every code's cues.
The sign of the sum over a unit's matches gives ``positive``, ``negative`` or ``neutral``
(no polarity found: neutral, never a guess).

*Certainty.* A match in a hedged clause is 0.75 as certain, in a question (a clause ending
in "?") 0.6, both 0.45 (see :mod:`uppks_qual.autocode`, step 4, for the confidence).

:func:`_polarity` reads a doc once (polarity cue hits, clauses, negators, scope stops);
:func:`_valence` gives the score and certainty of one cue match.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from .matchers import Matchers, _Tokens

#: Confidence factors of a coding whose clause is hedged or a question.
HEDGE_CERTAINTY = 0.75
QUESTION_CERTAINTY = 0.6
#: Weight of a general polarity word against a code's own (which wins a tie).
GENERAL_WEIGHT = 0.75
#: Weight of the sentence's polarity read with every code's cues, the last resort.
OTHER_CODES_WEIGHT = 0.25


_PolarityHit = tuple[str, int, int, float]  # (key, start, end, sign) of a polarity cue


class _ClauseTable(NamedTuple):
    """Every clause of a doc (see :func:`_clause_table`), lists aligned by clause in reading
    order: tokens ``[start, end)`` of a sentence between clause breaks; ``segment`` counts the
    contrast words before the clause in its sentence; the flags say whether a concessive word
    opens it, it holds a hedge, a question mark ends it, it holds a wish, a condition or a
    negator; the polarity cue hits that start in it are ``hits[cue_from:cue_to]``. Clauses are
    named by their index."""

    start: list[int]
    end: list[int]
    segment: list[int]
    concessive: list[bool]
    hedged: list[bool]
    question: list[bool]
    wish: list[bool]
    conditional: list[bool]
    negated: list[bool]
    cue_from: list[int]
    cue_to: list[int]


@dataclass
class Polarity:
    """What the valence rules read in a doc: the polarity cue hits sorted by start, the
    clauses (:class:`_ClauseTable`), the negators and negation scope stops (sorted tokens) and
    the code matches ``(start, factor)`` sorted by start. A sentence is named by its first
    clause ``i`` and its clauses are ``range(i, j)``. The first time a sentence is read
    (:func:`_sentence_keys`), ``cues`` gets the polarity cue hits inside each of its clauses,
    ``bare`` each clause's score without polarity words, ``keys`` the keys of its polarity
    hits. The caches hold the clause scores of a sentence per set of keys read; each clause's
    score and whether it is bare per set of keys read; and the valence per code and clause."""

    hits: list[_PolarityHit]
    table: _ClauseTable
    negators: list[int]
    stops: list[int]
    matches: list[tuple[int, str]]
    cues: list[tuple[_PolarityHit, ...]] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    keys: dict[int, frozenset[str]] = field(default_factory=dict)
    scores: dict[tuple[int, frozenset[str]], list[float]] = field(default_factory=dict)
    clause_scores: dict[tuple[int, frozenset[str]], tuple[float, bool]] = field(
        default_factory=dict)
    valences: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)


_CLITICS = ("nya", "lah", "kah", "pun")


def _derived(lower: str, norm: str) -> bool:
    """Whether a word is a suffixed derivation of its lemma (``-an``, ``-kan``, ``-i``,
    ``ke-an``, ``pe-an``, ``se-nya``; clitics ``-nya``/``-lah``/``-kah``/``-pun`` aside): such
    words name an act or a thing (*keputusan, pencairan, menjelaskan, bantuan*) or are adverbs
    (*sebenarnya*), and do not evaluate as their base word does."""
    if lower == norm:
        return False
    word = lower
    for clitic in _CLITICS:
        if word.endswith(clitic) and len(word) - len(clitic) >= len(norm):
            word = word[: -len(clitic)]
            break
    if word.startswith("se") and lower.endswith("nya"):
        return True
    return (word.endswith("an") and not norm.endswith("an")) or (
        word.endswith("i") and not norm.endswith("i"))


_DERIVED: dict[tuple[int, int], bool] = {}  # (ORTH, NORM) -> _derived(lower, norm)


def _derived_tokens(doc: Doc, wanted: Iterable[int]) -> set[int]:
    """The tokens among ``wanted`` that are derived words (:func:`_derived`), cached per word
    form and lemma."""
    out = set()
    for t in wanted:
        token = doc[t]
        found = _DERIVED.get((token.orth, token.norm))
        if found is None:
            if len(_DERIVED) > 100_000:
                _DERIVED.clear()
            found = _DERIVED[(token.orth, token.norm)] = _derived(token.lower_, token.norm_)
        if found:
            out.add(t)
    return out


_CONTRAST = {"ADVERSATIVE": 1, "INITIAL": 2, "CONCESSIVE": 3}


def _marks(markers: Iterable[tuple[str, int, int]]
           ) -> tuple[dict[int, int], dict[str, list[int]]]:
    """The contrast markers ``{token: kind}`` and, per other marker (``HEDGE``, ``WISH``,
    ``CONDITION``, ``STOP``, ``QUESTION``, ``PRONOUN``, and ``NEUTRAL``: fixed phrases and
    multi-word hedges), its sorted tokens (the first token only for conditions and stops),
    from the marker matches."""
    marker: dict[int, int] = {}
    found: dict[str, set[int]] = {k: set() for k in ("HEDGE", "WISH", "NEUTRAL", "CONDITION",
                                                     "STOP", "QUESTION", "PRONOUN")}
    for name, s, e in markers:
        if name in _CONTRAST:
            marker[s] = max(marker.get(s, 0), _CONTRAST[name])
        elif name in ("CONDITION", "STOP"):
            found[name].add(s)
        else:
            found[name].update(range(s, e))
            if name == "HEDGE" and e - s > 1:  # "kalau tidak salah"
                found["NEUTRAL"].update(range(s, e))
    return marker, {name: sorted(tokens) for name, tokens in found.items()}


def _polarity_hits(doc: Doc, found: Mapping[str, list[tuple[str, int, int]]],
                   neutral: frozenset[int]) -> list[_PolarityHit]:
    """Polarity cue hits ``(key, start, end, sign)`` sorted by start and end, without those
    on a neutral phrase and lemma hits on a derived word (see :func:`_derived`)."""
    derived = _derived_tokens(doc, {t for role in ("positive", "negative")
                                            for _key, s, e in found[role] for t in range(s, e)})
    hits = [(key, s, e, sign) for role, sign, lemma in (
        ("positive", 1.0, True), ("negative", -1.0, True),
        ("positive_form", 1.0, False), ("negative_form", -1.0, False))
        for key, s, e in found[role]
        if neutral.isdisjoint(range(s, e)) and not (lemma and not derived.isdisjoint(
            range(s, e)))]
    hits.sort(key=lambda h: (h[1], h[2]))
    return hits


def _polarity(doc: Doc, m: Matchers, tokens: _Tokens, bounds: np.ndarray,
              phrases: Mapping[str, list[tuple[str, int, int]]],
              marks: tuple[dict[int, int], dict[str, list[int]]],
              matches: Iterable[tuple[str, int, int, str]]) -> Polarity:
    """Polarity cue hits, negators, clauses and scope stops of a doc (see :class:`Polarity`)
    from its sentence ``bounds``, its phrase matches ``phrases``, their markers ``marks``
    (:func:`_marks`) and the code cue ``matches``."""
    marker, found = marks
    neutral = frozenset(found["NEUTRAL"])
    hits = _polarity_hits(doc, phrases, neutral)
    negators = [t for t in np.flatnonzero(tokens.negator).tolist() if t not in neutral]
    factors = sorted({(s, m.factor[code]) for code, s, _e, _k in matches})
    table = _clause_table(tokens.breaks, marker, bounds, {**found, "NEGATOR": negators}, hits)
    return Polarity(hits, table, negators, found["STOP"], factors, [()] * len(table.start),
                    [0.0] * len(table.start))


def _count(positions: Sequence[int], a: int, b: int) -> int:
    """How many of the sorted ``positions`` lie in ``[a, b)``."""
    return bisect.bisect_left(positions, b) - bisect.bisect_left(positions, a)


def _counts(positions: Sequence[int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each ``[a[i], b[i])``, how many of the sorted ``positions`` lie in it."""
    if not positions:
        return np.zeros(len(a), dtype=np.int64)
    return np.searchsorted(positions, b) - np.searchsorted(positions, a)


def _clause_breaks(breaks: np.ndarray, kind: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The tokens that end a clause: the clause breaks (punctuation, contrast and concessive
    words) and a *cuma, hanya saja* (``kind`` 2) that starts a clause (it starts a sentence or
    follows a break)."""
    out = breaks.copy()
    initial = (kind == 2) & ~breaks
    while True:
        opens = initial & ~out & (first | np.concatenate([[True], out[:-1]]))
        if not opens.any():
            return out
        out |= opens


def _clause_table(breaks: np.ndarray, marker: Mapping[int, int], bounds: np.ndarray,
                  found: Mapping[str, Sequence[int]], hits: Sequence[_PolarityHit]
                  ) -> _ClauseTable:
    """Every clause of a doc, for all sentences at once: the runs of tokens between clause
    breaks (:func:`_clause_breaks`) inside a sentence (``bounds``). A clause's ``segment``
    counts the contrast words (``marker`` kinds 1 and 2) before it in its sentence; it is
    concessive when the last marker before it, after the previous clause, is a concessive word
    (kind 3); it is hedged, a wish or conditional when it holds a token of ``found["HEDGE"]``,
    ``["WISH"]``, ``["CONDITION"]``; a question when a ``found["QUESTION"]`` mark follows it
    before the next clause; negated when it holds a ``found["NEGATOR"]``. A hedge standing as a
    clause of its own ("Kalau tidak salah, ...") hedges every clause of its sentence.
    ``hits``: the polarity cue hits sorted by start."""
    n = len(breaks)
    kind = np.zeros(n, dtype=np.int8)
    kind[list(marker)] = list(marker.values())
    first, last = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    first[bounds[:-1]], last[bounds[1:] - 1] = True, True
    cut = _clause_breaks(breaks, kind, first)
    word = ~cut
    starts = np.flatnonzero(word & (first | np.concatenate([[True], cut[:-1]])))
    ends = np.flatnonzero(word & (last | np.concatenate([cut[1:], [True]]))) + 1
    sentence = np.searchsorted(bounds, starts, side="right") - 1
    lo, hi = bounds[sentence], bounds[sentence + 1]
    contrast = np.concatenate([[0], np.cumsum(cut & ((kind == 1) | (kind == 2)))])
    follows = np.concatenate([[False], sentence[1:] == sentence[:-1]])  # a clause before it
    gap = np.where(follows, np.concatenate([[0], ends[:-1]]), lo)
    marked = np.flatnonzero(cut & (kind > 0))
    concessive = np.zeros(len(starts), dtype=bool)
    if len(marked):
        before = marked[np.maximum(np.searchsorted(marked, starts) - 1, 0)]
        concessive = (before < starts) & (before >= gap) & (kind[before] == 3)
    after = np.where(np.concatenate([follows[1:], [False]]),
                     np.concatenate([starts[1:], [0]]), hi)
    hedges = _counts(found["HEDGE"], starts, ends)
    aside = np.zeros(len(bounds), dtype=bool)
    aside[sentence[hedges == ends - starts]] = True
    cue_at = np.array([h[1] for h in hits], dtype=np.int64)
    return _ClauseTable(
        starts.tolist(), ends.tolist(), (contrast[starts] - contrast[lo]).tolist(),
        concessive.tolist(), ((hedges > 0) | aside[sentence]).tolist(),
        (_counts(found["QUESTION"], ends, after) > 0).tolist(),
        (_counts(found["WISH"], starts, ends) > 0).tolist(),
        (_counts(found["CONDITION"], starts, ends) > 0).tolist(),
        (_counts(found["NEGATOR"], starts, ends) > 0).tolist(),
        np.searchsorted(cue_at, starts).tolist(), np.searchsorted(cue_at, ends).tolist())


def _clause_hits(cues: Iterable[_PolarityHit], keys: Collection[str]
                 ) -> list[tuple[int, int, float]]:
    """The polarity words of ``keys`` among a clause's ``cues``: of overlapping cues the
    longest counts, and of equal ones the code's own over a general one (a word that codes
    list with both signs counts 0); each word counts once."""
    cand = sorted((h for h in cues if h[0] in keys),
                  key=lambda h: (h[1] - h[2], h[0] == "*", h[1]))
    signs: dict[tuple[int, int, bool], set[float]] = defaultdict(set)
    for key, s, e, sign in cand:
        signs[(s, e, key == "*")].add(sign)
    kept: list[tuple[int, int, float]] = []
    for key, s, e, sign in cand:
        if all(e <= a or b <= s for a, b, _ in kept):
            both = len(signs[(s, e, key == "*")]) > 1
            kept.append((s, e, 0.0 if both else sign * (GENERAL_WEIGHT if key == "*" else 1.0)))
    return sorted(h for h in kept if h[2])


def _clause_score(c: int, hits: Sequence[tuple[int, int, float]], pol: Polarity) -> float:
    """Polarity of clause ``c`` with polarity words ``hits``: each word's sign, flipped once
    per negator between it and the previous polarity word or scope stop (double negation
    cancels); negators with no polarity word after them before a stop (nothing to flip:
    "tidak datang") count -1, or +1 when even ("tanpa dia ... tidak"). A wish clause counts
    -1; a hedged clause half."""
    negators, table = pol.negators, pol.table
    start, end = table.start[c], table.end[c]
    score, k = 0.0, 0
    if hits or _count(negators, start, end):
        stops = pol.stops[bisect.bisect_left(pol.stops, start) :
                          bisect.bisect_left(pol.stops, end)]
        for a, b in itertools.pairwise([start, *stops, end]):
            pos = a
            while k < len(hits) and hits[k][0] < b:
                s, e, sign = hits[k]
                score += sign * (-1) ** _count(negators, pos, max(s, pos))
                pos, k = max(e, pos), k + 1
            dangling = _count(negators, pos, max(b, pos))
            if dangling > 0:
                score += -1.0 if dangling % 2 else 1.0
    if table.wish[c]:
        score = -1.0
    return score * (0.5 if table.hedged[c] else 1.0)


def _sentence_keys(i: int, j: int, pol: Polarity) -> frozenset[str]:
    """The keys of the polarity cue hits in the sentence of clauses ``range(i, j)``; the first
    time, also its clauses' ``pol.cues`` and ``pol.bare`` (see :class:`Polarity`)."""
    keys = pol.keys.get(i)
    if keys is None:
        table = pol.table
        for c in range(i, j):
            if table.cue_to[c] > table.cue_from[c]:
                pol.cues[c] = tuple(h for h in pol.hits[table.cue_from[c] : table.cue_to[c]]
                                    if h[2] <= table.end[c])
            if table.negated[c] or table.wish[c]:  # else 0
                pol.bare[c] = _clause_score(c, (), pol)
        keys = pol.keys[i] = frozenset(h[0] for c in range(i, j) for h in pol.cues[c])
    return keys


def _clause_polarity(c: int, keys: Collection[str], pol: Polarity) -> tuple[float, bool]:
    """Score of clause ``c`` for the polarity cues of ``keys`` and whether it has no polarity
    word of theirs, cached per clause and set of those keys found in it."""
    cues = pol.cues[c]
    present = frozenset(h[0] for h in cues if h[0] in keys)
    if not present:
        return pol.bare[c], True
    found = pol.clause_scores.get((c, present))
    if found is None:
        hits = _clause_hits(cues, present)
        found = pol.clause_scores[(c, present)] = (_clause_score(c, hits, pol), not hits)
    return found


def _counterfactual(table: _ClauseTable, i: int, scores: list[float],
                    bare: Sequence[bool]) -> list[float]:
    """A condition of absence (negated, without a polarity word: "kalau tidak ada beliau",
    "tanpa ketua") followed by a negative clause ("susah kami masuk", "bubar"): what is
    missing in the condition is needed, so both count +1. ``scores``: of clauses ``i, ...``."""
    out = list(scores)
    for n in range(len(scores)):
        if not table.conditional[i + n] or scores[n] >= 0 or not bare[n]:
            continue
        nxt = next((x for x in range(n + 1, len(scores)) if scores[x]
                    and table.segment[i + x] == table.segment[i + n]), None)
        if nxt is not None and scores[nxt] < 0:
            out[n] = out[nxt] = 1.0
    return out


def _about_other_factor(c: int, factor: str, pol: Polarity) -> bool:
    """Clause ``c`` holds a cue of another factor and none of ``factor``."""
    first = bisect.bisect_left(pol.matches, (pol.table.start[c], ""))
    last = bisect.bisect_left(pol.matches, (pol.table.end[c], ""))
    found = {f for _s, f in pol.matches[first:last]}
    return bool(found) and factor not in found


def _verdict(table: _ClauseTable, i: int, scores: Sequence[float], skip: int) -> float:
    """The polarity of the sentence of clauses ``i, ...`` (``scores``) without clause
    ``i + skip``: the last contrast segment with a polarity, concessive clauses aside (they
    yield); failing that, the concessive ones."""
    by_segment: dict[int, float] = defaultdict(float)
    conceded = 0.0
    for n, score in enumerate(scores):
        if n == skip:
            continue
        if table.concessive[i + n]:
            conceded += score
        else:
            by_segment[table.segment[i + n]] += score
    for seg in sorted(by_segment, reverse=True):
        if by_segment[seg]:
            return by_segment[seg]
    return conceded


def _valence(code_id: str, i: int, j: int, c: int, m: Matchers,
             pol: Polarity) -> tuple[float, float]:
    """Score and certainty of a cue match in clause ``c`` of the sentence of clauses
    ``range(i, j)`` (see the module docstring), cached per code and clause."""
    if i == j:
        return 0.0, 1.0
    found = pol.valences.get((code_id, c))
    if found is None:
        found = pol.valences[(code_id, c)] = _clause_valence(code_id, i, j, c, m, pol)
    return found


def _clause_valence(code_id: str, i: int, j: int, c: int, m: Matchers,
                    pol: Polarity) -> tuple[float, float]:
    """Score and certainty of a match of ``code_id`` in clause ``c`` (see :func:`_valence`)."""
    table, factor, k = pol.table, m.factor[code_id], c - i
    certainty = (HEDGE_CERTAINTY if table.hedged[c] else 1.0) * (
        QUESTION_CERTAINTY if table.question[c] else 1.0)
    if not _sentence_keys(i, j, pol) and not any(pol.bare[i:j]):  # no polarity at all
        return 0.0, certainty
    scores = _scores(i, j, code_id, m, pol)
    if not any(scores):  # what the steps below come to when no clause has a polarity
        tone = _scores(i, j, "", m, pol)
        return (OTHER_CODES_WEIGHT * _verdict(table, i, tone, -1) if any(tone) else 0.0,
                certainty)
    segment = table.segment[c]
    for n in range(len(scores) - 1, k, -1):  # a later contrast clause has the final say
        if (table.segment[i + n] > segment and not table.concessive[i + n] and scores[n]
                and not _about_other_factor(i + n, factor, pol)):
            return scores[n], certainty
    if table.concessive[c]:  # the other clauses win
        main = [0.0 if _about_other_factor(i + n, factor, pol) else x
                for n, x in enumerate(scores)]
        verdict = _verdict(table, i, main, k)
        if verdict:
            return verdict, certainty
    if scores[k]:
        return scores[k], certainty
    same = sum(x for n, x in enumerate(scores)
               if table.segment[i + n] == segment and not table.concessive[i + n])
    context = 0.5 * (same or _verdict(table, i, scores, k))
    if context:
        return context, certainty
    tone = _scores(i, j, "", m, pol)  # any code's cues
    return OTHER_CODES_WEIGHT * _verdict(table, i, tone, -1), certainty


def _scores(i: int, j: int, code_id: str, m: Matchers, pol: Polarity) -> list[float]:
    """Scores of the clauses ``range(i, j)`` of a sentence for the polarity cues of
    ``code_id`` (its lineage and the general ones; ``""``: every code's), cached per sentence
    and set of those keys found in it (codes with none of their own share the scores)."""
    keys = _sentence_keys(i, j, pol) & m.scope[code_id]
    scores = pol.scores.get((i, keys))
    if scores is None:
        cues, bare = pol.cues, pol.bare
        found = [_clause_polarity(c, keys, pol) if cues[c] and keys else (bare[c], True)
                 for c in range(i, j)]
        scores = pol.scores[(i, keys)] = _counterfactual(
            pol.table, i, [score for score, _ in found], [bare for _, bare in found])
    return scores
