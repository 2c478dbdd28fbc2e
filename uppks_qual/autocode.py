"""Rule-based automatic coding with spaCy matchers fed from the codebook.

How a text is coded (all pure, no I/O):

1. The text is cut into *regions*: speaker turns (lines starting ``LABEL:``; the label is not
   coded and turns of ``skip_speakers``, by default the interviewer ``P``, are skipped) or
   paragraphs. Regions are tokenised by the cached ``blank("id")`` pipeline whose ``NORM`` is
   the lookup lemma (:mod:`uppks_qual.nlp`), and split into sentences by the sentencizer.
2. Three matchers find cues: a ``PhraseMatcher`` on ``LOWER`` (``cues.phrases``), a
   ``PhraseMatcher`` on ``NORM`` = lemma (``cues.lemmas``) and a token ``Matcher``
   (``cues.patterns``; ``LEMMA`` keys are matched on ``NORM``).
3. **Valence** of each cue match is decided inside its *clause*: the tokens between the
   nearest clause boundaries (punctuation and contrast words such as *tapi, tetapi, namun,
   padahal, sedangkan*). In the clause, every positive cue (the code's and its ancestors'
   ``positive`` list, plus general ones such as *lancar, berhasil, rutin*) counts +1 and every
   negative cue (``negative`` list, plus *macet, simpang siur, gagal, menunggak*...) counts -1;
   a negator (*tidak, tak, indak, ndak, belum, bukan, kurang, jarang, tanpa*...) up to three
   tokens before a cue flips its sign. With no polarity cue, a negator within three tokens of
   the match itself counts -1 ("PLKB *tidak* datang", "*tidak* ada rapat"). The sign of the sum
   gives ``positive``, ``negative`` or ``neutral``.
4. Matches are grouped by unit (``match``, ``sentence`` or ``turn``): one row per unit and code.
   Within a unit, a factor-level code is dropped when one of its sub-codes is present (the more
   specific code wins). ``confidence`` is ``1 - prod(1 - w)`` over the unit's distinct cues with
   weights phrase 0.85, pattern 0.8, lemma 0.7.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import PatternError
from .nlp import get_nlp, lemmatize
from .records import Codebook

if TYPE_CHECKING:
    from spacy.matcher import Matcher, PhraseMatcher
    from spacy.tokens import Doc

__all__ = ["AUTOCODE_COLUMNS", "UNITS", "autocode_regions", "autocode_text", "build_matchers"]

UNITS = ("match", "sentence", "turn")
AUTOCODE_COLUMNS = ("start", "end", "code_id", "factor", "valence", "confidence", "text", "cues",
                    "unit")

NEGATORS = frozenset(["tidak", "tak", "tdk", "nggak", "ngga", "gak", "ga", "ndak", "indak", "nda", "enggak", "belum", "alun", "bukan", "kurang", "jarang", "tanpa", "tiada", "takkan", "jangan"])
CLAUSE_BREAKS = frozenset(["tapi", "tetapi", "namun", "padahal", "sedangkan", "melainkan", "sementara", "cuma", "walaupun", "meskipun", "biarpun", "kendati", "tapinyo"])
GENERAL_POSITIVE = ("lancar", "berhasil", "maju", "berkembang", "meningkat", "bertambah", "rutin",
                    "aktif", "tertib", "rajin", "bagus", "baik", "mantap", "terbantu", "sukses",
                    "tepat waktu", "lunas", "jelas", "paham", "mengerti", "dukung", "bantu")
GENERAL_NEGATIVE = ("macet", "simpang siur", "gagal", "rugi", "bubar", "berhenti", "menunggak",
                    "tunggakan", "terlambat", "telat", "malas", "kecewa", "bingung", "kacau",
                    "susah", "sulit", "mandek", "seret", "terbengkalai", "salah paham")
WEIGHTS = {"phrase": 0.85, "pattern": 0.8, "lemma": 0.7}
_LABEL = re.compile(r"^([A-Z][A-Za-z0-9]{0,11}):[ \t]*", re.M)


@dataclass(frozen=True)
class Matchers:
    """Compiled matchers for one codebook (see :func:`build_matchers`)."""

    phrases: PhraseMatcher
    lemmas: PhraseMatcher
    tokens: Matcher
    positive: PhraseMatcher
    negative: PhraseMatcher
    negators: frozenset[int]
    breaks: frozenset[int]
    factor: dict[str, str]
    parent: dict[str, str | None]
    lineage: dict[str, tuple[str, ...]]


_CACHE: dict[int, tuple[Codebook, Matchers]] = {}


def build_matchers(codebook: Codebook) -> Matchers:
    """Compile the codebook's cues into spaCy matchers (cached per codebook object).

    Raises
    ------
    PatternError
        If a token pattern is invalid; the message names the code and codebook line.
    """
    hit = _CACHE.get(id(codebook))
    if hit is not None and hit[0] is codebook:
        return hit[1]
    from spacy.attrs import NORM
    from spacy.matcher import Matcher, PhraseMatcher

    nlp = get_nlp()
    make = nlp.make_doc
    m = Matchers(
        phrases=PhraseMatcher(nlp.vocab, attr="LOWER"), lemmas=PhraseMatcher(nlp.vocab, attr="NORM"),
        tokens=Matcher(nlp.vocab), positive=PhraseMatcher(nlp.vocab, attr="NORM"),
        negative=PhraseMatcher(nlp.vocab, attr="NORM"),
        negators=frozenset(nlp.vocab.strings.add(lemmatize(w)) for w in NEGATORS),
        breaks=frozenset(nlp.vocab.strings.add(lemmatize(w)) for w in CLAUSE_BREAKS),
        factor={c.code_id: c.factor for c in codebook},
        parent={c.code_id: c.parent for c in codebook},
        lineage={c.code_id: _lineage(codebook, c.code_id) for c in codebook},
    )
    m.positive.add("*", [make(p) for p in GENERAL_POSITIVE])
    m.negative.add("*", [make(p) for p in GENERAL_NEGATIVE])
    for code in codebook:
        if code.phrases:
            m.phrases.add(code.code_id, [make(p) for p in code.phrases])
        if code.lemmas:
            m.lemmas.add(code.code_id, [make(p) for p in code.lemmas])
        if code.positive:
            m.positive.add(code.code_id, [make(p) for p in code.positive])
        if code.negative:
            m.negative.add(code.code_id, [make(p) for p in code.negative])
        for i, pattern in enumerate(code.patterns):
            try:
                m.tokens.add(code.code_id, [[_token_pattern(t) for t in pattern]])
            except (ValueError, KeyError, TypeError) as exc:
                raise PatternError(
                    f"pattern {i + 1} of code {code.code_id!r} is not a valid spaCy Matcher "
                    f"pattern: {str(exc).splitlines()[0][:200]}",
                    path=codebook.path, line=code.line, code_id=code.code_id) from None
    del NORM
    _CACHE[id(codebook)] = (codebook, m)
    return m


def _lineage(codebook: Codebook, code_id: str) -> tuple[str, ...]:
    out = [code_id]
    while codebook[out[-1]].parent:
        out.append(str(codebook[out[-1]].parent))
    return tuple(out)


def _token_pattern(token: dict[str, Any]) -> dict[str, Any]:
    """Map ``LEMMA`` to ``NORM`` (the pipeline keeps lemmas there) with lemmatised values."""
    out = dict(token)
    if "LEMMA" in out:
        value = out.pop("LEMMA")
        if isinstance(value, str):
            value = lemmatize(value)
        elif isinstance(value, dict):
            value = {k: [lemmatize(v) for v in vs] if isinstance(vs, list) else vs
                     for k, vs in value.items()}
        out["NORM"] = value
    return out


# --------------------------------------------------------------------------- regions
@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of text coded on its own: a turn or a paragraph (offsets into the text)."""

    start: int
    end: int
    speaker: str | None = None


def split_regions(text: str, *, skip_speakers: Collection[str] = ("P",)) -> list[Region]:
    """Turns (lines starting ``LABEL:``) or blank-line paragraphs, without skipped speakers."""
    regions: list[Region] = []
    labels = list(_LABEL.finditer(text))
    if labels:
        bounds = [(m.group(1), m.end(), labels[i + 1].start() if i + 1 < len(labels) else len(text))
                  for i, m in enumerate(labels)]
        if labels[0].start() > 0:
            bounds.insert(0, (None, 0, labels[0].start()))  # type: ignore[arg-type]
        for speaker, s, e in bounds:
            if speaker in skip_speakers:
                continue
            regions.extend(_paragraphs(text, s, e, speaker))
    else:
        regions = _paragraphs(text, 0, len(text), None)
    return regions


def _paragraphs(text: str, start: int, end: int, speaker: str | None) -> list[Region]:
    out = []
    for m in re.finditer(r"\S(?:.|\n(?![ \t]*\n))*", text[start:end]):
        s, e = start + m.start(), start + m.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append(Region(s, e, speaker))
    return out


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True, slots=True)
class _Hit:
    code_id: str
    start: int  # token index in the region doc
    end: int
    kind: str
    cue: str
    valence: float


def _matches(doc: Doc, m: Matchers) -> list[tuple[str, int, int, str]]:
    strings = doc.vocab.strings
    out = []
    for kind, matcher in (("phrase", m.phrases), ("lemma", m.lemmas), ("pattern", m.tokens)):
        if not len(matcher):
            continue
        for match_id, s, e in matcher(doc):
            out.append((strings[match_id], s, e, kind))
    return out


def _polarity(doc: Doc, m: Matchers) -> tuple[list[tuple[str, int, int, float]], np.ndarray, np.ndarray]:
    """Polarity cue hits ``(key, start, end, sign)``, negator flags and clause-break flags."""
    from spacy.attrs import IS_PUNCT, NORM

    strings = doc.vocab.strings
    arr = doc.to_array([NORM, IS_PUNCT])
    norms = arr[:, 0] if len(doc) else np.zeros(0, dtype="uint64")
    negator = np.isin(norms, np.fromiter(m.negators, dtype="uint64"))
    breaks = np.isin(norms, np.fromiter(m.breaks, dtype="uint64"))
    if len(doc):
        breaks |= arr[:, 1].astype(bool)
    hits = [(strings[k], s, e, 1.0) for k, s, e in m.positive(doc)]
    hits += [(strings[k], s, e, -1.0) for k, s, e in m.negative(doc)]
    return hits, negator, breaks


def _clause(i: int, j: int, breaks: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Token range of the clause around ``[i, j)``, kept inside ``[lo, hi)``."""
    left = i
    while left > lo and not breaks[left - 1]:
        left -= 1
    right = j
    while right < hi and not breaks[right]:
        right += 1
    return left, right


def _negated(pos: int, negator: np.ndarray, left: int) -> bool:
    return bool(negator[max(left, pos - 3) : pos].any())


def _valence(code_id: str, s: int, e: int, lo: int, hi: int, m: Matchers,
             polar: list[tuple[str, int, int, float]], negator: np.ndarray,
             breaks: np.ndarray) -> float:
    left, right = _clause(s, e, breaks, lo, hi)
    keys = {*m.lineage[code_id], "*"}
    score, seen = 0.0, 0
    for key, ps, pe, sign in polar:
        if key in keys and left <= ps and pe <= right and not (s <= ps and pe <= e):
            seen += 1
            score += -sign if _negated(ps, negator, left) else sign
    if not seen:
        near = negator[max(left, s - 3) : min(right, e + 3)]
        if near.any():
            score -= 1.0
    return score


def _hits(doc: Doc, m: Matchers) -> list[_Hit]:
    raw = _matches(doc, m)
    if not raw:
        return []
    polar, negator, breaks = _polarity(doc, m)
    hits = []
    for code_id, s, e, kind in raw:
        sent = doc[s].sent
        v = _valence(code_id, s, e, sent.start, sent.end, m, polar, negator, breaks)
        hits.append(_Hit(code_id, s, e, kind, doc[s:e].text, v))
    return hits


# --------------------------------------------------------------------------- units
def _sign(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _unit_rows(doc: Doc, region: Region, hits: list[_Hit], unit: str, m: Matchers,
               text: str) -> Iterator[dict[str, Any]]:
    off = region.start
    if unit == "match":
        for h in hits:
            s, e = off + doc[h.start].idx, off + doc[h.end - 1].idx + len(doc[h.end - 1])
            yield _row(s, e, h.code_id, m, [h], text, unit)
        return
    groups: dict[tuple[int, int], list[_Hit]] = defaultdict(list)
    for h in hits:
        if unit == "sentence":
            sent = doc[h.start].sent
            span = (off + sent.start_char, off + sent.end_char)
        else:
            span = (region.start, region.end)
        groups[span].append(h)
    for (s, e), unit_hits in groups.items():
        while e > s and text[e - 1].isspace():
            e -= 1
        yield from _code_rows(s, e, unit_hits, m, text, unit)


def _code_rows(s: int, e: int, hits: list[_Hit], m: Matchers, text: str,
               unit: str) -> Iterator[dict[str, Any]]:
    by_code: dict[str, list[_Hit]] = defaultdict(list)
    for h in hits:
        by_code[h.code_id].append(h)
    present = set(by_code)
    for code_id, code_hits in by_code.items():
        if any(code_id in m.lineage[o][1:] for o in present if o != code_id):
            continue  # a more specific code of this factor is present
        factor_hits = [h for h in hits if m.factor[h.code_id] == m.factor[code_id]]
        yield _row(s, e, code_id, m, factor_hits if len(by_code) > 1 else code_hits, text, unit,
                   cue_hits=code_hits)


def _row(s: int, e: int, code_id: str, m: Matchers, hits: list[_Hit], text: str, unit: str,
         cue_hits: list[_Hit] | None = None) -> dict[str, Any]:
    cue_hits = cue_hits if cue_hits is not None else hits
    cues = {(h.cue.lower(), h.kind) for h in cue_hits}
    conf = 1.0 - float(np.prod([1 - WEIGHTS[k] for _, k in cues]))
    return {"start": s, "end": e, "code_id": code_id, "factor": m.factor[code_id],
            "valence": _sign(sum(h.valence for h in hits)), "confidence": round(conf, 4),
            "text": text[s:e], "cues": "; ".join(sorted(c for c, _ in cues)), "unit": unit}


def autocode_regions(text: str, regions: Sequence[Region], codebook: Codebook, *,
                     unit: str = "sentence") -> list[dict[str, Any]]:
    """Code the given regions of ``text``; rows as dicts (see :func:`autocode_text`)."""
    _check_unit(unit)
    m = build_matchers(codebook)
    nlp = get_nlp()
    rows: list[dict[str, Any]] = []
    texts = (text[r.start : r.end] for r in regions)
    with nlp.select_pipes(enable=["sentencizer"]):
        for region, doc in zip(regions, nlp.pipe(texts, batch_size=256), strict=True):
            hits = _hits(doc, m)
            if hits:
                rows.extend(_unit_rows(doc, region, hits, unit, m, text))
    return rows


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(
            f"The 'unit' parameter of autocode must be one of {set(UNITS)}. Got {unit!r} instead.")


def autocode_text(text: str, codebook: Codebook, *, unit: str = "sentence",
                  skip_speakers: Collection[str] = ("P",)) -> pd.DataFrame:
    """Automatically code a text against a codebook (pure function).

    Parameters
    ----------
    text : str
        The text (a transcript with ``LABEL:`` turns, or notes in paragraphs).
    codebook : Codebook
    unit : {"sentence", "match", "turn"}
        What one coding covers: the sentence containing the cue (default), the cue itself,
        or the whole turn/paragraph.
    skip_speakers : collection of str
        Turn labels not to code (default: the interviewer ``P``).

    Returns
    -------
    DataFrame
        One row per coding: ``start, end, code_id, factor, valence, confidence, text, cues,
        unit``; offsets are half-open into ``text``.

    Examples
    --------
    >>> from uppks_qual import load_codebook
    >>> cb = load_codebook("codebook.yaml")                          # doctest: +SKIP
    >>> autocode_text("I: Angsuran kami macet sejak putaran tiga.", cb)  # doctest: +SKIP
    """
    rows = autocode_regions(text, split_regions(text, skip_speakers=skip_speakers), codebook,
                            unit=unit)
    return autocode_frame(rows)


def autocode_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`autocode_regions` as a DataFrame with fixed columns and dtypes."""
    frame = pd.DataFrame(list(rows), columns=list(AUTOCODE_COLUMNS))
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    frame["confidence"] = frame["confidence"].astype("float64")
    return frame.sort_values(["start", "code_id"], kind="stable").reset_index(drop=True)
