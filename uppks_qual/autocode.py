"""Rule-based automatic coding with spaCy matchers fed from the codebook.

How a text is coded (all pure, no I/O):

1. The text is cut into *units* by :func:`uppks_qual.corpus.split_units`: speaker turns
   (lines starting ``LABEL:``; the label is not coded and turns of ``skip_speakers``, by
   default the interviewer ``P``, are skipped) or paragraphs. Units are tokenised by the cached ``blank("id")`` pipeline whose ``NORM`` is
   the lookup lemma (:mod:`uppks_qual.nlp`), and split into sentences by the sentencizer.
2. Three matchers find cues: a ``PhraseMatcher`` on ``LOWER`` (``cues.phrases``), a
   ``PhraseMatcher`` on ``NORM`` = lemma (``cues.lemmas``) and a token ``Matcher``
   (``cues.patterns``; ``LEMMA`` keys are matched on ``NORM``).
3. **Valence** of each cue match is read from its sentence, cut into *clauses* at
   punctuation and at contrast words (:data:`ADVERSATIVES`: *tapi, tetapi, namun, padahal,
   sedangkan, melainkan*; *cuma, hanya saja* only at the start of a clause) and concessive
   words (:data:`CONCESSIVES`: *walaupun, meskipun, biarpun, walau, meski, kendati*).

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
4. Matches are grouped by unit (``match``, ``sentence`` or ``turn``): one row per unit and code.
   Within a unit, a factor-level code is dropped when one of its sub-codes is present (the more
   specific code wins). ``confidence`` is ``1 - prod(1 - w)`` over the unit's distinct cues with
   weights phrase 0.85, pattern 0.8, lemma 0.7, times the certainty of the surest of the code's
   matches: 0.75 in a hedged clause, 0.6 in a question (a clause ending in "?"), 0.45 both.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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

NEGATORS = frozenset(["tidak", "tak", "tdk", "nggak", "ngga", "gak", "ga", "ndak", "indak", "nda", "enggak", "belum", "alun", "bukan", "kurang", "jarang", "tanpa", "tiada", "takkan", "jangan", "tiado"])
#: Contrast words: the clause after one has the final say (see the module docstring).
ADVERSATIVES = frozenset(["tapi", "tetapi", "namun", "padahal", "sedangkan", "melainkan",
                          "tapinyo", "sayangnya"])
#: Contrast words that contrast only at the start of a clause ("cuma dua orang" is "only").
INITIAL_ADVERSATIVES = ("cuma", "cuman", "hanya saja")
#: Concessive words: the clause they open yields to the other clause(s) of the sentence.
CONCESSIVES = frozenset(["walaupun", "meskipun", "biarpun", "kendati", "kendatipun", "walau",
                         "meski", "sungguhpun", "sekalipun"])
CLAUSE_BREAKS = ADVERSATIVES | CONCESSIVES | {"sementara"}
#: Hedges: a clause holding one is less certain (confidence x HEDGE_CERTAINTY).
HEDGES = ("mungkin", "barangkali", "kalau tidak salah", "kalau ndak salah", "kalau indak salah",
          "kalau nggak salah", "agak", "sedikit", "kira-kira", "kayaknya", "sepertinya",
          "rasanya", "entah", "seingat saya", "kalau saya tidak salah", "kalau saya ndak salah",
          "kalau ambo indak salah")
#: Wishes and "should": the thing wished for is lacking, so the clause counts -1.
WISHES = ("ingin", "pengen", "pingin", "mestinya", "semestinya", "seharusnya", "harusnya",
          "semoga", "mudah-mudahan", "moga-moga", "andaikan", "seandainya", "kalau saja",
          "coba kalau", "sebaiknya", "hendaknya", "alangkah baiknya", "kalau bisa",
          "perlu ada", "diharapkan", "disarankan", "mohon", "sabaiknyo", "harusnyo",
          "labiah elok", "saran saya", "harapan saya")
#: Conditions: "if not X, (bad)" says X is needed (both clauses count +1).
CONDITIONS = ("kalau", "kalo", "jika", "jikalau", "bila", "apabila", "seandainya", "andaikan",
              "tanpa")
#: Words that end the scope of a negator inside a clause (subordinators and coordinators).
SCOPE_STOPS = ("bahwa", "karena", "sebab", "sehingga", "supaya", "agar", "biar", "kalau", "kalo",
               "jika", "bila", "apabila", "dan", "atau", "lalu", "terus", "kemudian", "serta",
               "sambil", "ketika", "sesudah", "setelah", "sebelum", "makanya", "jadi")
#: Fixed phrases whose words are neither negators nor polarity words.
NEUTRAL_PHRASES = ("salah satu", "salah seorang", "salah satunya", "tidak hanya", "bukan hanya",
                   "tidak cuma", "bukan cuma", "bukan saja", "tidak saja", "mau tidak mau",
                   "tidak lain", "tak lain", "atau tidak", "atau ndak", "atau belum", "apa tidak",
                   "paling lambat", "selambat-lambatnya", "kurang lebih", "lebih kurang",
                   "tidak tentu", "sedikit-sedikit", "sedikit demi sedikit", "cadiak pandai",
                   "cerdik pandai", "naik turun")
#: Confidence factors of a coding whose clause is hedged or a question.
HEDGE_CERTAINTY = 0.75
QUESTION_CERTAINTY = 0.6
#: Weight of a general polarity word against a code's own (which wins a tie).
GENERAL_WEIGHT = 0.75
#: Weight of the sentence's polarity read with every code's cues, the last resort.
OTHER_CODES_WEIGHT = 0.25
# General Indonesian (and Minang) evaluative words, for every code; matched like the codes'
# positive/negative cues (see :func:`_add_polarity`). Negated phrases ("tidak jelas") and the
# negators themselves (kurang, jarang) are not listed: the negation rules score them.
GENERAL_POSITIVE = (*"""lancar berhasil maju berkembang meningkat bertambah rutin aktif
    tertib rajin bagus baik mantap terbantu sukses lunas jelas paham mengerti dukung bantu
    senang puas bangga untung laku laris teratur kompak rukun semangat percaya jujur
    terbuka lengkap rapi beres cocok mudah gampang akrab sabar ramah hormat peduli perhatian
    dorong giat tekun disiplin tegas cerdas pandai bijak adil sanggup syukur alhamdulillah
    mampu cukup tambah besar berkah rancak elok baiak tanggap sigap ringan
    membantu menolong mendukung terang""".split(),
    "tepat waktu", "tiap bulan", "setiap bulan", "selalu datang", "terima kasih")
GENERAL_NEGATIVE = (*"""macet gagal rugi bubar berhenti menunggak tunggakan terlambat telat
    malas kecewa bingung kacau susah sulit mandek seret terbengkalai lupa hilang bangkrut rusak
    masalah ribut cekcok curiga takut marah kesal capek sepi lambat tertunda ditunda batal
    tertahan terhenti mahal bohong tipu ragu pusing repot payah lalai abai cuek acuh berantakan
    mogok tunggak sendat kusut tersendat menurun merosot kandas binguang sansai susah-payah
    keliru salah putus gelap absen kekurangan keberatan kesulitan kemacetan keterlambatan""".split(),
    "simpang siur", "salah paham", "kabar burung", "mulut ke mulut")
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
    positive_forms: PhraseMatcher
    negative_forms: PhraseMatcher
    markers: PhraseMatcher
    negator_flag: int
    break_flag: int
    pronoun_flag: int
    period_flag: int
    factor: dict[str, str]
    parent: dict[str, str | None]
    lineage: dict[str, tuple[str, ...]]
    always_tokens: bool = False
    max_pattern: int = 0
    all_keys: frozenset[str] = frozenset()


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
        positive_forms=PhraseMatcher(nlp.vocab, attr="LOWER"),
        negative_forms=PhraseMatcher(nlp.vocab, attr="LOWER"),
        markers=_markers(nlp),
        negator_flag=_flags(nlp.vocab)[0], break_flag=_flags(nlp.vocab)[1],
        pronoun_flag=_flags(nlp.vocab)[2], period_flag=_flags(nlp.vocab)[3],
        factor={c.code_id: c.factor for c in codebook},
        parent={c.code_id: c.parent for c in codebook},
        lineage={c.code_id: _lineage(codebook, c.code_id) for c in codebook},
        all_keys=frozenset([*(c.code_id for c in codebook), "*"]),
    )
    check = Matcher(nlp.vocab, validate=True)
    _add_polarity(m, "*", GENERAL_POSITIVE, GENERAL_NEGATIVE)
    for code in codebook:
        persons = {p.lower() for p in code.persons}
        phrases = [p for p in code.phrases if p.lower() not in persons]
        if phrases:
            m.phrases.add(code.code_id, [make(p) for p in phrases])
        if code.lemmas:
            m.lemmas.add(code.code_id, [make(p) for p in code.lemmas])
        if code.persons:
            m.persons.add(code.code_id, [make(p) for p in code.persons])
        _add_polarity(m, code.code_id, code.positive, code.negative)
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


def _add_polarity(m: Matchers, key: str, positive: Sequence[str],
                  negative: Sequence[str]) -> None:
    """Add polarity cues: a cue written in its base form (every word its own lemma: *macet*,
    *jelas*) is matched on lemmas; a derived form (*teratur*, *tunggakan*) only as written."""
    make = get_nlp().make_doc
    for cues, lemmas, forms in ((positive, m.positive, m.positive_forms),
                                (negative, m.negative, m.negative_forms)):
        docs = [make(p) for p in cues]
        base = [d for d in docs if all(t.norm_ == t.lower_ for t in d)]
        derived = [d for d in docs if not all(t.norm_ == t.lower_ for t in d)]
        if base:
            lemmas.add(key, base)
        if derived:
            forms.add(key, derived)


_MARKERS = {"ADVERSATIVE": ADVERSATIVES, "INITIAL": INITIAL_ADVERSATIVES,
            "CONCESSIVE": CONCESSIVES, "HEDGE": HEDGES, "WISH": WISHES,
            "NEUTRAL": NEUTRAL_PHRASES, "CONDITION": CONDITIONS, "STOP": SCOPE_STOPS}


def _markers(nlp: Any) -> PhraseMatcher:
    """A ``PhraseMatcher`` (on ``LOWER``) for the clause markers: contrast, concession, hedge,
    wish and neutral phrases."""
    from spacy.matcher import PhraseMatcher

    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for key, words in _MARKERS.items():
        matcher.add(key, [nlp.make_doc(w) for w in words])
    return matcher


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
    certainty: float = 1.0


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
class _Clause:
    """Tokens ``[start, end)`` of a sentence between clause breaks; ``segment`` counts the
    contrast words before it in the sentence; the flags say whether a concessive word opens
    it, it holds a hedge, a question mark ends it, it holds a wish or a condition."""

    start: int
    end: int
    segment: int
    concessive: bool
    hedged: bool
    question: bool
    wish: bool
    conditional: bool


@dataclass
class Polarity:
    """What the valence rules read in a doc: polarity cue hits ``(key, start, end, sign)``
    sorted by start; per token: negator, clause break, contrast marker (1 contrast, 2 contrast
    at a clause start only, 3 concessive), hedge, wish, question mark, condition and negation
    scope stop; the code matches ``(start, factor)`` sorted by start; and caches (clauses and
    clause scores per sentence, cumulative negator counts, stop positions)."""

    hits: list[tuple[str, int, int, float]]
    starts: list[int]
    negator: np.ndarray
    breaks: np.ndarray
    marker: np.ndarray
    hedge: np.ndarray
    wish: np.ndarray
    question: np.ndarray
    condition: np.ndarray
    stop: np.ndarray
    matches: list[tuple[int, str]]
    clauses: dict[tuple[int, int], list[_Clause]]
    scores: dict[tuple[int, int, str], list[float]] = field(default_factory=dict)
    negators_before: list[int] = field(default_factory=list)  # cumulative count
    stops: list[int] = field(default_factory=list)  # token indices of scope stops


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


def _polarity(doc: Doc, m: Matchers, matches: Iterable[tuple[str, int, int, str]]) -> Polarity:
    """Polarity cue hits, negators, clause breaks and markers of a doc (see :class:`Polarity`)."""
    from spacy.attrs import IS_PUNCT, ORTH

    strings = doc.vocab.strings
    arr = doc.to_array([m.negator_flag, m.break_flag, IS_PUNCT]).astype(bool)
    negator, breaks = arr[:, 0].copy(), arr[:, 1] | arr[:, 2]
    n = len(doc)
    marker, hedge, wish = np.zeros(n, np.int8), np.zeros(n, bool), np.zeros(n, bool)
    neutral, condition, stop = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    codes = {"ADVERSATIVE": 1, "INITIAL": 2, "CONCESSIVE": 3}
    for key, s, e in m.markers(doc):
        name = strings[key]
        if name in codes:
            marker[s] = max(marker[s], codes[name])
        elif name in ("CONDITION", "STOP"):
            (condition if name == "CONDITION" else stop)[s] = True
        else:
            {"HEDGE": hedge, "WISH": wish, "NEUTRAL": neutral}[name][s:e] = True
            neutral[s:e] |= name == "HEDGE" and e - s > 1  # "kalau tidak salah"
    negator &= ~neutral
    hits = [(strings[k], s, e, sign) for matcher, sign, lemma in (
        (m.positive, 1.0, True), (m.negative, -1.0, True),
        (m.positive_forms, 1.0, False), (m.negative_forms, -1.0, False))
        for k, s, e in matcher(doc)
        if not neutral[s:e].any() and not (lemma and any(
            _derived(t.lower_, t.norm_) for t in doc[s:e]))]
    hits.sort(key=lambda h: (h[1], h[2]))
    question = doc.to_array([ORTH]).reshape(-1) == strings.add("?")
    factors = sorted({(s, m.factor[code]) for code, s, _e, _k in matches})
    return Polarity(hits, [h[1] for h in hits], negator, breaks, marker, hedge, wish,
                    question, condition, stop, factors, {}, {},
                    [0, *np.cumsum(negator).tolist()], np.flatnonzero(stop).tolist())


def _clauses(lo: int, hi: int, pol: Polarity) -> list[_Clause]:
    """The clauses of the sentence ``[lo, hi)`` (cached): runs of tokens between breaks
    (punctuation and contrast words; *cuma, hanya saja* only at the start of a clause). A
    hedge standing as a clause of its own ("Kalau tidak salah, ...") hedges every clause."""
    if (lo, hi) in pol.clauses:
        return pol.clauses[(lo, hi)]
    spans: list[tuple[int, int, int, bool]] = []
    segment, concessive, start = 0, False, None
    kinds, breaks = pol.marker[lo:hi].tolist(), pol.breaks[lo:hi].tolist()
    for t in range(lo, hi):
        kind = kinds[t - lo]
        is_break = breaks[t - lo] or (kind == 2 and start is None)
        if not is_break:
            start = t if start is None else start
            continue
        if start is not None:
            spans.append((start, t, segment, concessive))
            start, concessive = None, False
        if kind in (1, 2):
            segment, concessive = segment + 1, False
        elif kind == 3:
            concessive = True
    if start is not None:
        spans.append((start, hi, segment, concessive))
    out = []
    aside = any(pol.hedge[a:b].all() for a, b, _, _ in spans)  # "Kalau tidak salah, ..."
    for i, (a, b, seg, conc) in enumerate(spans):
        after = spans[i + 1][0] if i + 1 < len(spans) else hi
        out.append(_Clause(a, b, seg, conc, aside or bool(pol.hedge[a:b].any()),
                           bool(pol.question[b:after].any()), bool(pol.wish[a:b].any()),
                           bool(pol.condition[a:b].any())))
    pol.clauses[(lo, hi)] = out
    return out


def _clause_hits(clause: _Clause, keys: Collection[str],
                 pol: Polarity) -> list[tuple[int, int, float]]:
    """The polarity words of ``keys`` in a clause: of overlapping cues the longest counts, and
    of equal ones the code's own over a general one (a word that codes list with both signs
    counts 0); each word counts once."""
    first = bisect.bisect_left(pol.starts, clause.start)
    last = bisect.bisect_left(pol.starts, clause.end)
    cand = sorted((h for h in pol.hits[first:last] if h[0] in keys and h[2] <= clause.end),
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


def _clause_score(clause: _Clause, keys: Collection[str], pol: Polarity) -> float:
    """Polarity of a clause: each polarity word's sign, flipped once per negator between it
    and the previous polarity word or scope stop (double negation cancels); negators with no
    polarity word after them before a stop (nothing to flip: "tidak datang") count -1, or +1
    when even ("tanpa dia ... tidak"). A wish clause counts -1; a hedged clause half."""
    hits = _clause_hits(clause, keys, pol)
    count = pol.negators_before
    stops = pol.stops[bisect.bisect_left(pol.stops, clause.start) :
                      bisect.bisect_left(pol.stops, clause.end)]
    score, k = 0.0, 0
    for a, b in itertools.pairwise([clause.start, *stops, clause.end]):
        pos = a
        while k < len(hits) and hits[k][0] < b:
            s, e, sign = hits[k]
            score += sign * (-1) ** (count[max(s, pos)] - count[pos])
            pos, k = max(e, pos), k + 1
        dangling = count[max(b, pos)] - count[pos]
        if dangling > 0:
            score += -1.0 if dangling % 2 else 1.0
    if clause.wish:
        score = -1.0
    return score * (0.5 if clause.hedged else 1.0)


def _counterfactual(clauses: Sequence[_Clause], scores: list[float],
                    bare: Sequence[bool]) -> list[float]:
    """A condition of absence (negated, without a polarity word: "kalau tidak ada beliau",
    "tanpa ketua") followed by a negative clause ("susah kami masuk", "bubar"): what is
    missing in the condition is needed, so both count +1."""
    out = list(scores)
    for i, c in enumerate(clauses):
        if not c.conditional or scores[i] >= 0 or not bare[i]:
            continue
        nxt = next((j for j in range(i + 1, len(clauses)) if scores[j]
                    and clauses[j].segment == c.segment), None)
        if nxt is not None and scores[nxt] < 0:
            out[i] = out[nxt] = 1.0
    return out


def _about_other_factor(clause: _Clause, factor: str, pol: Polarity) -> bool:
    """The clause holds a cue of another factor and none of ``factor``."""
    first = bisect.bisect_left(pol.matches, (clause.start, ""))
    last = bisect.bisect_left(pol.matches, (clause.end, ""))
    found = {f for _s, f in pol.matches[first:last]}
    return bool(found) and factor not in found


def _verdict(clauses: Sequence[_Clause], scores: Sequence[float], skip: int) -> float:
    """The sentence's polarity without clause ``skip``: the last contrast segment with a
    polarity, concessive clauses aside (they yield); failing that, the concessive ones."""
    by_segment: dict[int, float] = defaultdict(float)
    conceded = 0.0
    for i, (c, score) in enumerate(zip(clauses, scores, strict=True)):
        if i == skip:
            continue
        if c.concessive:
            conceded += score
        else:
            by_segment[c.segment] += score
    for seg in sorted(by_segment, reverse=True):
        if by_segment[seg]:
            return by_segment[seg]
    return conceded


def _valence(code_id: str, s: int, lo: int, hi: int, m: Matchers,
             pol: Polarity) -> tuple[float, float]:
    """Score and certainty of a cue match at token ``s`` of sentence ``[lo, hi)`` (see the
    module docstring)."""
    clauses = _clauses(lo, hi, pol)
    if not clauses:
        return 0.0, 1.0
    k = max(0, bisect.bisect_right([c.start for c in clauses], s) - 1)
    own, factor = clauses[k], m.factor[code_id]
    scores = _scores(clauses, code_id, lo, hi, m, pol)
    certainty = (HEDGE_CERTAINTY if own.hedged else 1.0) * (
        QUESTION_CERTAINTY if own.question else 1.0)
    for j in range(len(clauses) - 1, k, -1):  # a later contrast clause has the final say
        c = clauses[j]
        if (c.segment > own.segment and not c.concessive and scores[j]
                and not _about_other_factor(c, factor, pol)):
            return scores[j], certainty
    if own.concessive:  # the other clauses win
        main = [0.0 if _about_other_factor(c, factor, pol) else x
                for c, x in zip(clauses, scores, strict=True)]
        verdict = _verdict(clauses, main, k)
        if verdict:
            return verdict, certainty
    if scores[k]:
        return scores[k], certainty
    same = sum(x for c, x in zip(clauses, scores, strict=True)
               if c.segment == own.segment and not c.concessive)
    context = 0.5 * (same or _verdict(clauses, scores, k))
    if context:
        return context, certainty
    tone = _scores(clauses, "", lo, hi, m, pol)  # any code's cues
    return OTHER_CODES_WEIGHT * _verdict(clauses, tone, -1), certainty


def _scores(clauses: Sequence[_Clause], code_id: str, lo: int, hi: int, m: Matchers,
            pol: Polarity) -> list[float]:
    """Clause scores for the polarity cues of ``code_id`` (its lineage and the general ones;
    ``""``: every code's), cached per sentence and code."""
    if (lo, hi, code_id) not in pol.scores:
        keys = {*m.lineage[code_id], "*"} if code_id else m.all_keys
        pol.scores[(lo, hi, code_id)] = _counterfactual(
            clauses, [_clause_score(c, keys, pol) for c in clauses],
            [not _clause_hits(c, keys, pol) for c in clauses])
    return pol.scores[(lo, hi, code_id)]


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
    conf = (1.0 - math.prod(1 - WEIGHTS[k] for _, k in cues)) * max(
        h.certainty for h in cue_hits)
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
    pol = _polarity(doc, m, raw)
    hits = []
    for code_id, s, e, kind in raw:
        lo, hi = _sentence_of(bounds, s)
        v, certainty = _valence(code_id, s, lo, hi, m, pol)
        hits.append(_Hit(code_id, s, e, kind, text[chars[s, 0] : chars[e - 1, 1]], v,
                         certainty))
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
