"""Cutting a document into sentences and units, and one row per unit and code.

The whole text is tokenised once and matched once (:mod:`uppks_qual.autocode.matchers`);
the units (turns or paragraphs) only decide which tokens are coded and where sentences must
break. The cue matches get their valence (:mod:`uppks_qual.autocode.valence`) and are grouped
by unit (``match``, ``sentence`` or ``turn``): one row per unit and code, with the confidence
of its cues (:data:`WEIGHTS`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..nlp import get_nlp
from ..records import Codebook, Segment
from ..textio import sentence_spans
from .matchers import Matchers, _matches, _phrase_matches, _Tokens, _tokens, build_matchers
from .valence import Polarity, _marks, _polarity, _valence

if TYPE_CHECKING:
    from spacy.tokens import Doc

WEIGHTS = {"phrase": 0.85, "pattern": 0.8, "person": 0.8, "lemma": 0.7, "anaphora": 0.5}


class _Hit(NamedTuple):
    code_id: str
    start: int  # token index in the doc
    end: int
    kind: str
    cue: str
    valence: float
    certainty: float = 1.0


def sentence_bounds(doc: Doc, m: Matchers) -> np.ndarray:
    """Token indices where sentences start, plus ``len(doc)``: exactly the boundaries of
    spaCy's ``sentencizer`` (a sentence starts at the first token that is neither punctuation
    nor a sentence-final character after such a character), computed with numpy instead of a
    loop over tokens."""
    from spacy.attrs import IS_PUNCT

    if not len(doc):
        return np.array([0, 0])
    arr = doc.to_array([IS_PUNCT, m.period_flag]).astype(bool)
    return _bounds(arr[:, 0], arr[:, 1])


def _bounds(punct: np.ndarray, period: np.ndarray) -> np.ndarray:
    """:func:`sentence_bounds` from the punctuation and sentence-final flags of the tokens."""
    words = np.flatnonzero(~punct & ~period)
    cum = np.cumsum(period)
    before = np.concatenate([[0], cum[words[:-1]]]) if len(words) else words
    starts = words[(cum[words] - before) > 0] if len(words) else words
    return np.unique(np.concatenate([[0], starts, [len(punct)]]))


def _token_units(starts: np.ndarray, units: Sequence[Segment]) -> np.ndarray:
    """Index of the unit each token (first character ``starts``) lies in (-1 for tokens
    outside every unit)."""
    first = np.array([u.start for u in units])
    ends = np.array([u.end for u in units])
    k = np.searchsorted(first, starts, side="right") - 1
    inside = (k >= 0) & (starts < ends[np.maximum(k, 0)])
    return np.where(inside, k, -1)


def _document_bounds(tokens: _Tokens, unit_of: np.ndarray) -> np.ndarray:
    """Sentence boundaries of a whole document coded by units: the sentencizer's, plus a
    boundary wherever a unit starts or ends (a sentence never spans two turns)."""
    bound = np.zeros(len(unit_of) + 1, dtype=bool)
    bound[_bounds(tokens.punct, tokens.period)] = True
    bound[np.flatnonzero(np.diff(unit_of)) + 1] = True
    return np.flatnonzero(bound)


def _anaphora(persons: list[tuple[int, str]], pronouns: np.ndarray,
              bounds: np.ndarray) -> list[tuple[str, int, int, str]]:
    """Pronoun hits: in a sentence with *dia/ia/beliau/inyo* and no person cue of its own, the
    pronoun refers to the last person mentioned before it (same document, nearest first).
    ``persons`` are ``(token, code_id)`` in reading order, including uncoded turns (the
    interviewer's question often names the person the answer calls "dia")."""
    if not len(pronouns) or not persons:
        return []
    places = [p for p, _ in persons]
    sentence = np.searchsorted(bounds, pronouns, side="right") - 1
    first = np.flatnonzero(np.diff(sentence, prepend=-1))  # the first pronoun of a sentence
    out: list[tuple[str, int, int, str]] = []
    for token, k in zip(pronouns[first].tolist(), sentence[first].tolist(), strict=True):
        before = bisect.bisect_left(places, int(bounds[k]))
        own = bisect.bisect_left(places, int(bounds[k + 1])) > before
        if before and not own:
            out.append((persons[before - 1][1], token, token + 1, "anaphora"))
    return out


def _cue_matches(doc: Doc, m: Matchers, found: Mapping[str, list[tuple[str, int, int]]],
                 pronouns: Sequence[int], unit_of: np.ndarray, coded: np.ndarray,
                 bounds: np.ndarray) -> list[tuple[str, int, int, str]]:
    """Cue matches ``(code_id, start, end, kind)`` lying in one unit, of coded units, then the
    hits of the ``pronouns`` (tokens) in coded units (:func:`_anaphora`); ``found``: the
    phrase matches."""
    owner, flags = unit_of.tolist(), coded.tolist()
    raw = [r for r in _matches(doc, m, found)
           if owner[r[1]] >= 0 and owner[r[1]] == owner[r[2] - 1]]
    persons = sorted((s, code) for code, s, _e, kind in raw if kind == "person")
    coded_pronouns = np.array([t for t in pronouns if flags[owner[t]]], dtype=np.int64)
    return [r for r in raw if flags[owner[r[1]]]] + _anaphora(persons, coded_pronouns, bounds)


def _valued_hits(raw: Sequence[tuple[str, int, int, str]], text: str, tokens: _Tokens,
                 bounds: np.ndarray, m: Matchers, pol: Polarity) -> list[_Hit]:
    """The cue matches with their cue text, valence and certainty."""
    starts = np.array([r[1] for r in raw], dtype=np.int64)
    clause_starts = np.array(pol.table.start, dtype=np.int64)
    at_bound = np.searchsorted(clause_starts, bounds)  # first clause of each sentence
    sentence = np.searchsorted(bounds, starts, side="right") - 1
    first, last = at_bound[sentence], at_bound[sentence + 1]
    own = np.maximum(np.searchsorted(clause_starts, starts, side="right") - 1, first)
    begin, end = tokens.start, tokens.end
    return [_Hit(code_id, s, e, kind, text[begin[s] : end[e - 1]],
                 *_valence(code_id, i, j, c, m, pol))
            for (code_id, s, e, kind), i, j, c in zip(raw, first.tolist(), last.tolist(),
                                                      own.tolist(), strict=True)]


# --------------------------------------------------------------------------- units
_Row = tuple[int, int, str, str, str, float, str, str, str]  # the AUTOCODE_COLUMNS


def _sign(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _unit_runs(unit_of: np.ndarray) -> dict[int, tuple[int, int]]:
    """Tokens ``[first, end)`` of each unit (a unit's tokens are consecutive)."""
    edges = [0, *(np.flatnonzero(np.diff(unit_of)) + 1).tolist(), len(unit_of)]
    return {int(unit_of[a]): (a, b) for a, b in itertools.pairwise(edges) if unit_of[a] >= 0}


def _sentence_chars(tokens: _Tokens, bounds: np.ndarray, text: str, unit_of: np.ndarray,
                    wanted: Collection[int]) -> dict[int, tuple[int, int]]:
    """Character span of the sentence of each token in ``wanted``, cut by
    :func:`uppks_qual.textio.sentence_spans` exactly as the corpus loader cuts sentences (so
    sentence codings coincide with the corpus's sentence segments)."""
    owner = unit_of.tolist()
    by_unit: dict[int, list[int]] = defaultdict(list)
    for t in wanted:
        by_unit[owner[t]].append(t)
    runs, edges = _unit_runs(unit_of), bounds.tolist()
    out: dict[int, tuple[int, int]] = {}
    for unit, toks in by_unit.items():
        first, last = runs[unit]
        inner = edges[bisect.bisect_left(edges, first) : bisect.bisect_right(edges, last)]
        raw = [(tokens.start[a], tokens.end[b - 1]) for a, b in itertools.pairwise(inner)]
        spans = sentence_spans(text, 0, raw) or raw
        starts = [a for a, _ in spans]
        for t in toks:
            k = bisect.bisect_right(starts, tokens.start[t]) - 1
            out[t] = spans[max(k, 0)]
    return out


def _unit_rows(hits: list[_Hit], unit: str, m: Matchers, text: str, tokens: _Tokens,
               bounds: np.ndarray, unit_of: np.ndarray, units: Sequence[Segment]) -> list[_Row]:
    if unit == "match":
        by_span: dict[tuple[int, int, str], list[_Hit]] = defaultdict(list)
        for h in hits:  # one row per span and code, however many cue kinds found it
            by_span[(tokens.start[h.start], tokens.end[h.end - 1], h.code_id)].append(h)
        return [_row(s, e, code_id, m, span_hits, text, unit)
                for (s, e, code_id), span_hits in by_span.items()]
    groups: dict[tuple[int, int], list[_Hit]] = defaultdict(list)
    if unit == "sentence":
        spans = _sentence_chars(tokens, bounds, text, unit_of, {h.start for h in hits})
        for h in hits:
            groups[spans[h.start]].append(h)
    else:
        owner = unit_of.tolist()
        for h in hits:
            turn = units[owner[h.start]]
            groups[(turn.start, turn.end)].append(h)
    return [row for (s, e), unit_hits in groups.items()
            for row in _code_rows(s, e, unit_hits, m, text, unit)]


def _code_rows(s: int, e: int, hits: list[_Hit], m: Matchers, text: str,
               unit: str) -> Iterator[_Row]:
    if len(hits) == 1:
        yield _row(s, e, hits[0].code_id, m, hits, text, unit)
        return
    by_code: dict[str, list[_Hit]] = defaultdict(list)
    for h in hits:
        by_code[h.code_id].append(h)
    if len(by_code) == 1:
        yield _row(s, e, hits[0].code_id, m, hits, text, unit)
        return
    wider = {a for code_id in by_code for a in m.lineage[code_id][1:]}
    for code_id, code_hits in by_code.items():
        if code_id in wider:
            continue  # a more specific code of this factor is present
        factor_hits = [h for h in hits if m.factor[h.code_id] == m.factor[code_id]]
        yield _row(s, e, code_id, m, factor_hits, text, unit, cue_hits=code_hits)


def _row(s: int, e: int, code_id: str, m: Matchers, hits: list[_Hit], text: str, unit: str,
         cue_hits: list[_Hit] | None = None) -> _Row:
    cue_hits = cue_hits if cue_hits is not None else hits
    if len(hits) == len(cue_hits) == 1:  # the general case below, for one hit
        h = hits[0]
        return (s, e, code_id, m.factor[code_id], _sign(h.valence),
                round((1.0 - (1 - WEIGHTS[h.kind])) * h.certainty, 4), text[s:e], h.cue.lower(),
                unit)
    cues = {(h.cue.lower(), h.kind) for h in cue_hits}
    conf = (1.0 - math.prod(1 - WEIGHTS[k] for _, k in cues)) * max(
        h.certainty for h in cue_hits)
    return (s, e, code_id, m.factor[code_id], _sign(sum(h.valence for h in hits)),
            round(conf, 4), text[s:e], "; ".join(sorted(c for c, _ in cues)), unit)


def _code_units(text: str, segments: Sequence[Segment], codebook: Codebook, unit: str,
                skip_speakers: Collection[str]) -> list[_Row]:
    """The rows of :func:`autocode_segments` as tuples (the ``AUTOCODE_COLUMNS``)."""
    units = sorted((s for s in segments if s.kind != "sentence"), key=lambda s: s.start)
    if not units:
        return []
    m = build_matchers(codebook)
    doc = get_nlp().tokenizer(text)
    if not len(doc):
        return []
    tokens = _tokens(doc, m)
    unit_of = _token_units(tokens.idx, units)
    coded = np.array([u.speaker not in skip_speakers for u in units] + [False])  # -1: outside
    bounds = _document_bounds(tokens, unit_of)
    found = _phrase_matches(doc, m)
    marks = _marks(found["marker"])
    raw = _cue_matches(doc, m, found, marks[1]["PRONOUN"], unit_of, coded, bounds)
    if not raw:
        return []
    pol = _polarity(doc, m, tokens, bounds, found, marks, raw)
    hits = _valued_hits(raw, text, tokens, bounds, m, pol)
    return _unit_rows(hits, unit, m, text, tokens, bounds, unit_of, units)
