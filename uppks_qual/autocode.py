"""Rule-based automatic coding with spaCy matchers fed from the codebook.

How a text is coded (all pure, no I/O):

1. The text is cut into *units* by :func:`uppks_qual.corpus.split_units`: speaker turns
   (lines starting ``LABEL:``; the label is not coded and turns of ``skip_speakers``, by
   default the interviewer ``P``, are skipped) or paragraphs. Units are tokenised by the cached ``blank("id")`` pipeline whose ``NORM`` is
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
   tokens before a cue flips its sign. Each polarity word counts once, however many cue lists
   hold it. When the clause has no polarity cue, the polarity cues of the whole sentence count
   at half weight ("Modal kami ada, tapi usaha macet." is weakly negative: on the project's
   training passages this raised valence accuracy from 0.33 to 0.37). With no polarity cue in
   the sentence, a negator within three tokens of the match itself counts -1 ("PLKB *tidak*
   datang", "*tidak* ada rapat"). The sign of the sum gives ``positive``, ``negative`` or
   ``neutral``.
4. Matches are grouped by unit (``match``, ``sentence`` or ``turn``): one row per unit and code.
   Within a unit, a factor-level code is dropped when one of its sub-codes is present (the more
   specific code wins). ``confidence`` is ``1 - prod(1 - w)`` over the unit's distinct cues with
   weights phrase 0.85, pattern 0.8, lemma 0.7.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .corpus import split_units
from .errors import PatternError
from .nlp import get_nlp, lemmatize
from .params import Options, validate_params
from .records import Code, Codebook, Segment
from .textio import SPEAKER_LABEL, sentence_spans

if TYPE_CHECKING:
    from spacy.matcher import Matcher, PhraseMatcher
    from spacy.tokens import Doc

__all__ = ["AUTOCODE_COLUMNS", "UNITS", "autocode_segments", "autocode_text", "build_matchers",
           "compile_cues"]

UNITS = ("match", "sentence", "turn")
AUTOCODE_COLUMNS = ("start", "end", "code_id", "factor", "valence", "confidence", "text", "cues",
                    "unit")

NEGATORS = frozenset(["tidak", "tak", "tdk", "nggak", "ngga", "gak", "ga", "ndak", "indak", "nda", "enggak", "belum", "alun", "bukan", "kurang", "jarang", "tanpa", "tiada", "takkan", "jangan"])
CLAUSE_BREAKS = frozenset(["tapi", "tetapi", "namun", "padahal", "sedangkan", "melainkan", "sementara", "cuma", "walaupun", "meskipun", "biarpun", "kendati", "tapinyo"])
# General Indonesian (and Minang) evaluative words, for every code; matched on lemmas.
GENERAL_POSITIVE = (*"""lancar berhasil maju berkembang meningkat bertambah naik rutin aktif
    tertib rajin bagus baik mantap terbantu sukses lunas jelas paham mengerti dukung bantu
    tolong senang puas bangga untung laku laris teratur kompak rukun semangat percaya jujur
    terbuka lengkap rapi beres cocok mudah gampang akrab sabar ramah hormat peduli perhatian
    dorong giat tekun disiplin tegas cerdas pandai bijak adil sanggup syukur alhamdulillah
    mampu cukup tambah besar berkah rancak elok baiak pandai tanggap sigap hadir ringan
    membantu menolong mendukung terang""".split(),
    "tepat waktu", "tiap bulan", "setiap bulan", "selalu datang", "terima kasih", "tidak pernah telat")
GENERAL_NEGATIVE = (*"""macet gagal rugi bubar berhenti menunggak tunggakan terlambat telat
    malas kecewa bingung kacau susah sulit mandek seret terbengkalai lupa hilang bangkrut rusak
    masalah ribut cekcok curiga takut marah kesal capek sepi lambat tertunda ditunda batal
    tertahan terhenti mahal bohong tipu ragu pusing repot payah lalai abai cuek acuh berantakan
    mogok kurang jarang tunggak sendat kusut tersendat menurun turun merosot kandas putus
    binguang sansai susah-payah gelap keliru salah""".split(),
    "simpang siur", "salah paham", "tidak jelas", "tidak ada", "belum ada", "tidak pernah",
    "belum pernah", "tidak tahu", "ndak tahu", "indak tau", "tidak datang", "tidak sampai",
    "tidak lancar", "kabar burung", "mulut ke mulut")
PRONOUNS = frozenset("dia ia beliau inyo nyo dianya beliaunya iyo".split())
WEIGHTS = {"phrase": 0.85, "pattern": 0.8, "person": 0.8, "lemma": 0.7, "anaphora": 0.5}


@dataclass
class Matchers:
    """Compiled matchers for one codebook (see :func:`build_matchers`).

    ``anchors`` finds the words that can start a token pattern: the (slower) token Matcher runs
    only on texts containing one, unless a pattern cannot be anchored (``always_tokens``).
    """

    phrases: PhraseMatcher
    lemmas: PhraseMatcher
    tokens: Matcher
    expanded: PhraseMatcher
    persons: PhraseMatcher
    anchors: PhraseMatcher
    positive: PhraseMatcher
    negative: PhraseMatcher
    negator_flag: int
    break_flag: int
    pronoun_flag: int
    period_flag: int
    factor: dict[str, str]
    parent: dict[str, str | None]
    lineage: dict[str, tuple[str, ...]]
    always_tokens: bool = False
    max_pattern: int = 0


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
    from spacy.matcher import Matcher, PhraseMatcher
    from spacy.tokens import Doc

    nlp = get_nlp()
    make = nlp.make_doc
    m = Matchers(
        phrases=PhraseMatcher(nlp.vocab, attr="LOWER"), lemmas=PhraseMatcher(nlp.vocab, attr="NORM"),
        tokens=Matcher(nlp.vocab), expanded=PhraseMatcher(nlp.vocab, attr="LOWER"),
        persons=PhraseMatcher(nlp.vocab, attr="LOWER"),
        anchors=PhraseMatcher(nlp.vocab, attr="LOWER"),
        positive=PhraseMatcher(nlp.vocab, attr="NORM"),
        negative=PhraseMatcher(nlp.vocab, attr="NORM"),
        negator_flag=_flags(nlp.vocab)[0], break_flag=_flags(nlp.vocab)[1],
        pronoun_flag=_flags(nlp.vocab)[2], period_flag=_flags(nlp.vocab)[3],
        factor={c.code_id: c.factor for c in codebook},
        parent={c.code_id: c.parent for c in codebook},
        lineage={c.code_id: _lineage(codebook, c.code_id) for c in codebook},
    )
    check = Matcher(nlp.vocab, validate=True)
    m.positive.add("*", [make(p) for p in GENERAL_POSITIVE])
    m.negative.add("*", [make(p) for p in GENERAL_NEGATIVE])
    for code in codebook:
        persons = {p.lower() for p in code.persons}
        phrases = [p for p in code.phrases if p.lower() not in persons]
        if phrases:
            m.phrases.add(code.code_id, [make(p) for p in phrases])
        if code.lemmas:
            m.lemmas.add(code.code_id, [make(p) for p in code.lemmas])
        if code.persons:
            m.persons.add(code.code_id, [make(p) for p in code.persons])
        if code.positive:
            m.positive.add(code.code_id, [make(p) for p in code.positive])
        if code.negative:
            m.negative.add(code.code_id, [make(p) for p in code.negative])
        for i, pattern in enumerate(code.patterns):
            token_pattern = _checked_pattern(check, codebook, code, i)
            sequences = _expand(pattern)
            if sequences is not None:
                m.expanded.add(code.code_id, [Doc(nlp.vocab, words=w) for w in sequences])
            else:
                m.tokens.add(code.code_id, [token_pattern])
                _add_anchor(m, pattern)
                m.max_pattern = max(m.max_pattern, len(pattern) if not any(
                    t.get("OP") in ("*", "+") for t in pattern) else 10_000)
    if len(_CACHE) >= 8:  # keep the matchers of the last few codebooks only
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(codebook)] = (codebook, m)
    return m


def compile_cues(codebook: Codebook) -> None:
    """Check every token pattern of the codebook with spaCy's validating ``Matcher``.

    Reading a codebook checks its structure only; this is the check spaCy itself makes when
    the matchers are built (:func:`build_matchers`), run on an empty vocabulary so that no
    pipeline is built. ``uppks-qual check`` runs it.

    Raises
    ------
    PatternError
        For the first pattern spaCy rejects, naming the code and the codebook line.
    """
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    check = Matcher(Vocab(), validate=True)
    for code in codebook:
        for i in range(len(code.patterns)):
            _checked_pattern(check, codebook, code, i)


def _checked_pattern(check: Matcher, codebook: Codebook, code: Code, i: int) -> list[dict]:
    """Pattern ``i`` of ``code`` as a Matcher pattern, after ``check`` accepted it."""
    token_pattern = [_token_pattern(t) for t in code.patterns[i]]
    try:
        check.add(f"{code.code_id}#{i}", [token_pattern])
    except (ValueError, KeyError, TypeError, re.error) as exc:
        raise PatternError(
            f"pattern {i + 1} of code {code.code_id!r} is not a valid spaCy Matcher "
            f"pattern: {str(exc).splitlines()[0][:200]}",
            path=codebook.path, line=code.line, code_id=code.code_id) from None
    return token_pattern


_FLAGS: dict[int, tuple[int, int, int, int]] = {}


def _flags(vocab: Any) -> tuple[int, int, int, int]:
    """Lexeme flags 'is a negator', 'ends a clause', 'is a third-person pronoun' and 'is a
    sentence-final punctuation character of the sentencizer', computed once per word type."""
    if id(vocab) not in _FLAGS:
        negators = {lemmatize(w) for w in NEGATORS} | set(NEGATORS)
        breaks = {lemmatize(w) for w in CLAUSE_BREAKS} | set(CLAUSE_BREAKS)
        punct = set(get_nlp().get_pipe("sentencizer").punct_chars)
        _FLAGS[id(vocab)] = (
            vocab.add_flag(lambda s: s.lower() in negators or lemmatize(s) in negators),
            vocab.add_flag(lambda s: s.lower() in breaks),
            vocab.add_flag(lambda s: s.lower() in PRONOUNS),
            vocab.add_flag(lambda s: s in punct),
        )
    return _FLAGS[id(vocab)]


MAX_EXPANSION = 5000


def _expand(pattern: Sequence[Mapping[str, Any]]) -> list[list[str]] | None:
    """All word sequences a pattern of plain ``LOWER`` words (optionally ``OP: "?"``) matches,
    or ``None`` when it has other constraints or too many sequences. Such patterns run in a
    PhraseMatcher, much faster than the token Matcher."""
    seqs: list[list[str]] = [[]]
    for token in pattern:
        if set(token) - {"LOWER", "OP"} or "LOWER" not in token or token.get("OP", "?") != "?":
            return None
        value = token["LOWER"]
        words = [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else None
        if not words:
            return None
        options: list[list[str]] = [[str(w).lower()] for w in words]
        if token.get("OP") == "?":
            options.append([])
        seqs = [seq + opt for seq in seqs for opt in options]
        if len(seqs) > MAX_EXPANSION:
            return None
    return [seq for seq in seqs if seq]


def _add_anchor(m: Matchers, pattern: Sequence[Mapping[str, Any]]) -> None:
    """Register the words that can start ``pattern`` (see :class:`Matchers`)."""
    make = get_nlp().make_doc
    first = pattern[0]
    values = first.get("LOWER", first.get("ORTH", first.get("TEXT")))
    words = [values] if isinstance(values, str) else list((values or {}).get("IN", []))
    if first.get("OP") in ("?", "*") or not words:
        m.always_tokens = True
    else:
        m.anchors.add("ANCHOR", [make(str(w)) for w in words])


def _lineage(codebook: Codebook, code_id: str) -> tuple[str, ...]:
    out = [code_id]
    while codebook[out[-1]].parent:
        out.append(str(codebook[out[-1]].parent))
    return tuple(out)


def _token_pattern(token: Mapping[str, Any]) -> dict[str, Any]:
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
    out: list[tuple[str, int, int, str]] = []
    matchers = (("phrase", m.phrases), ("lemma", m.lemmas), ("pattern", m.expanded),
                ("person", m.persons))
    for kind, matcher in matchers:
        if len(matcher):
            out.extend((strings[i], s, e, kind) for i, s, e in matcher(doc))
    if len(m.tokens):
        out.extend((strings[i], s, e, "pattern") for i, s, e in _token_matches(doc, m))
    return out


def _token_matches(doc: Doc, m: Matchers) -> list[tuple[int, int, int]]:
    """Token-Matcher matches, run only on short windows that start at an anchor word (a
    pattern's possible first word) unless some pattern cannot be anchored."""
    if m.always_tokens:
        return list(m.tokens(doc))
    out: list[tuple[int, int, int]] = []
    for _key, a, _e in m.anchors(doc):
        window = doc[a : a + m.max_pattern]
        out.extend((i, a + s, a + e) for i, s, e in m.tokens(window) if s == 0)
    return out


@dataclass(frozen=True, slots=True)
class Polarity:
    """Polarity cue hits ``(key, start, end, sign)`` of a doc, sorted by start."""

    hits: list[tuple[str, int, int, float]]
    starts: list[int]


def _polarity(doc: Doc, m: Matchers) -> tuple[Polarity, np.ndarray, np.ndarray]:
    """Polarity cue hits, negator flags and clause-break flags of a doc."""
    from spacy.attrs import IS_PUNCT

    strings = doc.vocab.strings
    arr = doc.to_array([m.negator_flag, m.break_flag, IS_PUNCT]).astype(bool)
    negator = arr[:, 0]
    breaks = arr[:, 1] | arr[:, 2]
    hits = [(strings[k], s, e, 1.0) for k, s, e in m.positive(doc)]
    hits += [(strings[k], s, e, -1.0) for k, s, e in m.negative(doc)]
    hits.sort(key=lambda h: h[1])
    return Polarity(hits, [h[1] for h in hits]), negator, breaks


def _clause(i: int, j: int, breaks: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Token range of the clause around ``[i, j)``, kept inside ``[lo, hi)``."""
    left = i
    while left > lo and not breaks[left - 1]:
        left -= 1
    right = j
    while right < hi and not breaks[right]:
        right += 1
    return left, right


def _negated(pos: int, negator: np.ndarray, left: int, start: int, end: int) -> bool:
    """A negator in the three tokens before a polarity cue (not inside a multi-word cue such
    as "tidak jelas", which already carries its negation)."""
    if negator[start:end].any():
        return False
    return bool(negator[left:pos].any())


def _valence(code_id: str, s: int, e: int, lo: int, hi: int, m: Matchers,
             polar: Polarity, negator: np.ndarray, breaks: np.ndarray) -> float:
    """Score of a cue match: polarity cues of its clause; failing those, of its sentence
    (half weight); failing those, -1 for a negator near the match (see module docstring)."""
    left, right = _clause(s, e, breaks, lo, hi)
    keys = {*m.lineage[code_id], "*"}
    first, last = bisect.bisect_left(polar.starts, lo), bisect.bisect_left(polar.starts, hi)
    near = polar.hits[first:last]  # the polarity cues of the sentence
    for (a, b), weight in (((left, right), 1.0), ((lo, hi), 0.5)):
        cues = {(ps, pe, sign) for key, ps, pe, sign in near
                if key in keys and a <= ps and pe <= b and not (s <= ps and pe <= e)}
        if cues:  # each word counts once, however many cue lists hold it
            score = sum(-sign if _negated(ps, negator, max(a, ps - 3), ps, pe) else sign
                        for ps, pe, sign in cues)
            return weight * score
    window = negator[max(left, s - 3) : min(right, e + 3)]
    return -1.0 if window.any() else 0.0


def sentence_bounds(doc: Doc, m: Matchers) -> np.ndarray:
    """Token indices where sentences start, plus ``len(doc)``: exactly the boundaries of
    spaCy's ``sentencizer`` (a sentence starts at the first token that is neither punctuation
    nor a sentence-final character after such a character), computed with numpy instead of a
    loop over tokens."""
    from spacy.attrs import IS_PUNCT

    n = len(doc)
    if not n:
        return np.array([0, 0])
    arr = doc.to_array([IS_PUNCT, m.period_flag]).astype(bool)
    period = arr[:, 1]
    words = np.flatnonzero(~arr[:, 0] & ~period)
    cum = np.cumsum(period)
    before = np.concatenate([[0], cum[words[:-1]]]) if len(words) else words
    starts = words[(cum[words] - before) > 0] if len(words) else words
    return np.unique(np.concatenate([[0], starts, [n]]))


def _token_units(chars: np.ndarray, units: Sequence[Segment]) -> np.ndarray:
    """Index of the unit each token lies in (-1 for tokens outside every unit)."""
    starts = np.array([u.start for u in units])
    ends = np.array([u.end for u in units])
    k = np.searchsorted(starts, chars[:, 0], side="right") - 1
    inside = (k >= 0) & (chars[:, 0] < ends[np.maximum(k, 0)])
    return np.where(inside, k, -1)


def _document_bounds(doc: Doc, m: Matchers, unit_of: np.ndarray) -> np.ndarray:
    """Sentence boundaries of a whole document coded by units: the sentencizer's, plus a
    boundary wherever a unit starts or ends (a sentence never spans two turns)."""
    change = np.flatnonzero(np.diff(unit_of)) + 1
    return np.unique(np.concatenate([sentence_bounds(doc, m), change]))


def _anaphora(persons: list[tuple[int, str]], pronouns: np.ndarray, bounds: np.ndarray,
              context: dict[str, str | None]) -> list[tuple[str, int, int, str]]:
    """Pronoun hits: in a sentence with *dia/ia/beliau/inyo* and no person cue of its own, the
    pronoun refers to the last person mentioned before it (same document, nearest first).
    ``persons`` are ``(token, code_id)`` in reading order, including uncoded turns (the
    interviewer's question often names the person the answer calls "dia")."""
    out: list[tuple[str, int, int, str]] = []
    if not len(pronouns) and not persons:
        return out
    i = 0
    for k in range(len(bounds) - 1):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        own = i < len(persons) and persons[i][0] < hi
        j = int(np.searchsorted(pronouns, lo))
        if j < len(pronouns) and pronouns[j] < hi and not own and context.get("antecedent"):
            out.append((str(context["antecedent"]), int(pronouns[j]), int(pronouns[j]) + 1,
                        "anaphora"))
        while i < len(persons) and persons[i][0] < hi:
            context["antecedent"] = persons[i][1]
            i += 1
    return out


# --------------------------------------------------------------------------- units
def _sign(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _sentence_of(bounds: np.ndarray, token: int) -> tuple[int, int]:
    k = int(np.searchsorted(bounds, token, side="right")) - 1
    return int(bounds[k]), int(bounds[k + 1])


def _sentence_chars(chars: np.ndarray, bounds: np.ndarray, text: str, unit_of: np.ndarray,
                    tokens: Collection[int]) -> dict[int, tuple[int, int]]:
    """Character span of the sentence of each token in ``tokens``, cut by
    :func:`uppks_qual.textio.sentence_spans` exactly as the corpus loader cuts sentences (so
    sentence codings coincide with the corpus's sentence segments)."""
    wanted: dict[int, list[int]] = defaultdict(list)
    for t in tokens:
        wanted[int(unit_of[t])].append(t)
    out: dict[int, tuple[int, int]] = {}
    for unit, toks in wanted.items():
        idx = np.flatnonzero(unit_of == unit)
        first, last = int(idx[0]), int(idx[-1]) + 1
        inner = bounds[(bounds >= first) & (bounds <= last)]
        raw = [(int(chars[a, 0]), int(chars[b - 1, 1])) for a, b in itertools.pairwise(inner)]
        spans = sentence_spans(text, 0, raw) or raw
        starts = [a for a, _ in spans]
        for t in toks:
            k = bisect.bisect_right(starts, int(chars[t, 0])) - 1
            out[t] = spans[max(k, 0)]
    return out


def _unit_rows(hits: list[_Hit], unit: str, m: Matchers, text: str, chars: np.ndarray,
               bounds: np.ndarray, unit_of: np.ndarray,
               units: Sequence[Segment]) -> Iterator[dict[str, Any]]:
    if unit == "match":
        by_span: dict[tuple[int, int, str], list[_Hit]] = defaultdict(list)
        for h in hits:  # one row per span and code, however many cue kinds found it
            by_span[(int(chars[h.start, 0]), int(chars[h.end - 1, 1]), h.code_id)].append(h)
        for (s, e, code_id), span_hits in by_span.items():
            yield _row(s, e, code_id, m, span_hits, text, unit)
        return
    if unit == "sentence":
        spans = _sentence_chars(chars, bounds, text, unit_of, {h.start for h in hits})
    groups: dict[tuple[int, int], list[_Hit]] = defaultdict(list)
    for h in hits:
        if unit == "sentence":
            groups[spans[h.start]].append(h)
        else:
            turn = units[int(unit_of[h.start])]
            groups[(turn.start, turn.end)].append(h)
    for (s, e), unit_hits in groups.items():
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
    conf = 1.0 - math.prod(1 - WEIGHTS[k] for _, k in cues)
    return {"start": s, "end": e, "code_id": code_id, "factor": m.factor[code_id],
            "valence": _sign(sum(h.valence for h in hits)), "confidence": round(conf, 4),
            "text": text[s:e], "cues": "; ".join(sorted(c for c, _ in cues)), "unit": unit}


_UNIT = {"unit": [Options(*UNITS)]}


@validate_params(_UNIT)
def autocode_segments(text: str, segments: Sequence[Segment], codebook: Codebook, *,
                      unit: str = "sentence",
                      skip_speakers: Collection[str] = ("P",)) -> list[dict[str, Any]]:
    """Code the turns/paragraphs ``segments`` of ``text``; rows as dicts (see
    :func:`autocode_text`).

    The whole text is tokenised once and matched once; the segments only decide which tokens
    are coded (turns of ``skip_speakers`` give context only, e.g. whom "dia" refers to) and
    where sentences must break. Sentence segments among ``segments`` are ignored.
    """
    units = sorted((s for s in segments if s.kind != "sentence"), key=lambda s: s.start)
    if not units:
        return []
    m = build_matchers(codebook)
    doc = get_nlp().tokenizer(text)
    if not len(doc):
        return []
    chars = _token_chars(doc)
    unit_of = _token_units(chars, units)
    coded = np.array([u.speaker not in skip_speakers for u in units] + [False])  # -1: outside
    bounds = _document_bounds(doc, m, unit_of)
    raw = [r for r in _matches(doc, m) if unit_of[r[1]] >= 0
           and unit_of[r[1]] == unit_of[r[2] - 1]]
    persons = sorted((s, code) for code, s, _e, kind in raw if kind == "person")
    pronouns = np.flatnonzero(doc.to_array([m.pronoun_flag]).reshape(-1).astype(bool)
                              & coded[unit_of])
    raw = [r for r in raw if coded[unit_of[r[1]]]]
    raw += _anaphora(persons, pronouns, bounds, {"antecedent": None})
    if not raw:
        return []
    polar, negator, breaks = _polarity(doc, m)
    hits = []
    for code_id, s, e, kind in raw:
        lo, hi = _sentence_of(bounds, s)
        v = _valence(code_id, s, e, lo, hi, m, polar, negator, breaks)
        hits.append(_Hit(code_id, s, e, kind, text[chars[s, 0] : chars[e - 1, 1]], v))
    return list(_unit_rows(hits, unit, m, text, chars, bounds, unit_of, units))


def _token_chars(doc: Doc) -> np.ndarray:
    """``(n_tokens, 2)`` array of each token's start and end character in ``doc.text``."""
    from spacy.attrs import IDX, LENGTH

    if not len(doc):
        return np.zeros((0, 2), dtype=np.int64)
    arr = doc.to_array([IDX, LENGTH]).astype(np.int64)
    arr[:, 1] += arr[:, 0]
    return arr


@validate_params(_UNIT)
def autocode_text(text: str, codebook: Codebook, *, unit: str = "sentence",
                  skip_speakers: Collection[str] = ("P",)) -> pd.DataFrame:
    """Automatically code a text against a codebook (pure function).

    Parameters
    ----------
    text : str
        The text: a transcript with ``LABEL:`` turns, or notes in paragraphs. It is cut into
        units by :func:`uppks_qual.corpus.split_units` (turns when a line starts with a
        speaker label, else paragraphs).
    codebook : Codebook
    unit : {"sentence", "match", "turn"}
        What one coding covers: the sentence containing the cue (default), the cue itself,
        or the whole turn/paragraph.
    skip_speakers : collection of str
        Turn labels not to code (default: the interviewer ``P``). Lines starting with a label
        such as ``I:`` are taken as speaker turns, as in transcripts; to code notes whose lines
        may start with ``Word:``, use ``project.autocode()``, which takes turns and paragraphs
        from the corpus loader, or :func:`autocode_segments` with paragraph segments.

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
    units = split_units(text, interview=SPEAKER_LABEL.search(text) is not None)
    return autocode_frame(autocode_segments(text, units, codebook, unit=unit,
                                            skip_speakers=skip_speakers))


def autocode_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`autocode_segments` as a DataFrame with fixed columns and dtypes."""
    frame = pd.DataFrame(list(rows), columns=list(AUTOCODE_COLUMNS))
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    frame["confidence"] = frame["confidence"].astype("float64")
    return frame.sort_values(["start", "code_id"], kind="stable").reset_index(drop=True)
