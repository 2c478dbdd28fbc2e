"""Rule-based automatic coding with spaCy matchers fed from the codebook.

How a text is coded (all pure, no I/O):

1. The text is cut into *units* by :func:`uppks_qual.corpus.split_units`: speaker turns
   (lines starting ``LABEL:``; the label is not coded and turns of ``skip_speakers``, by
   default the interviewer ``P``, are skipped) or paragraphs. Units are tokenised by the cached ``blank("id")`` pipeline whose ``NORM`` is
   the lookup lemma (:mod:`uppks_qual.nlp`), and split into sentences by the sentencizer.
2. Three matchers find cues: a ``PhraseMatcher`` on ``LOWER`` (``cues.phrases``), a
   ``PhraseMatcher`` on ``NORM`` = lemma (``cues.lemmas``) and a token ``Matcher``
   (``cues.patterns``; ``LEMMA`` keys are matched on ``NORM``). Every phrase list (with the
   valence words and clause markers below) runs in one ``LOWER`` and one ``NORM`` pass.
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
from typing import TYPE_CHECKING, Any, NamedTuple

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

    Every phrase list runs in one of two ``PhraseMatcher`` passes, ``lower`` (on ``LOWER``)
    and ``norm`` (on ``NORM`` = lemma); ``roles`` maps each match id to its role (see
    :data:`_ROLES`) and key (a code, ``"*"`` for general polarity words, a marker name).
    The ``anchor`` role finds the words that can start a token pattern: the (slower) token
    Matcher runs only on texts containing one, unless a pattern cannot be anchored
    (``always_tokens``). ``scope`` holds the polarity keys read for each code: its lineage and
    ``"*"`` (general words); for ``""``, every code's.
    """

    lower: PhraseMatcher
    norm: PhraseMatcher
    tokens: Matcher
    roles: dict[int, tuple[str, str]]
    negator_flag: int
    break_flag: int
    period_flag: int
    factor: dict[str, str]
    parent: dict[str, str | None]
    lineage: dict[str, tuple[str, ...]]
    always_tokens: bool = False
    max_pattern: int = 0
    scope: dict[str, frozenset[str]] = field(default_factory=dict)


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
        lower=PhraseMatcher(nlp.vocab, attr="LOWER"), norm=PhraseMatcher(nlp.vocab, attr="NORM"),
        tokens=Matcher(nlp.vocab), roles={},
        negator_flag=_flags(nlp.vocab)[0], break_flag=_flags(nlp.vocab)[1],
        period_flag=_flags(nlp.vocab)[2],
        factor={c.code_id: c.factor for c in codebook},
        parent={c.code_id: c.parent for c in codebook},
        lineage={c.code_id: _lineage(codebook, c.code_id) for c in codebook},
        scope={"": frozenset([*(c.code_id for c in codebook), "*"]),
               **{c.code_id: frozenset([*_lineage(codebook, c.code_id), "*"]) for c in codebook}},
    )
    check = Matcher(nlp.vocab, validate=True)
    for name, words in _MARKERS.items():
        _add(m, "marker", name, [make(w) for w in words])
    _add_polarity(m, "*", GENERAL_POSITIVE, GENERAL_NEGATIVE)
    for code in codebook:
        persons = {p.lower() for p in code.persons}
        phrases = [p for p in code.phrases if p.lower() not in persons]
        _add(m, "phrase", code.code_id, [make(p) for p in phrases])
        _add(m, "lemma", code.code_id, [make(p) for p in code.lemmas])
        _add(m, "person", code.code_id, [make(p) for p in code.persons])
        _add_polarity(m, code.code_id, code.positive, code.negative)
        for i, pattern in enumerate(code.patterns):
            token_pattern = _checked_pattern(check, codebook, code, i)
            sequences = _expand(pattern)
            if sequences is not None:
                _add(m, "pattern", code.code_id, [Doc(nlp.vocab, words=w) for w in sequences])
            else:
                m.tokens.add(code.code_id, [token_pattern])
                _add_anchor(m, pattern)
                m.max_pattern = max(m.max_pattern, len(pattern) if not any(
                    t.get("OP") in ("*", "+") for t in pattern) else 10_000)
    if len(_CACHE) >= 8:  # keep the matchers of the last few codebooks only
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(codebook)] = (codebook, m)
    return m


#: What the phrase lists of :class:`Matchers` find: code cues (``phrase``, ``lemma``, plain-word
#: ``pattern`` and ``person``), the first words of token patterns (``anchor``), polarity words
#: in base form (``positive``, ``negative``, matched on lemmas) or as written (``*_form``), and
#: clause markers (:data:`_MARKERS`). The ``lemma``, ``positive`` and ``negative`` lists match
#: on ``NORM``, the others on ``LOWER``.
_ROLES = ("phrase", "lemma", "pattern", "person", "anchor", "positive", "negative",
         "positive_form", "negative_form", "marker")
_ON_NORM = frozenset(["lemma", "positive", "negative"])


def _add(m: Matchers, role: str, key: str, docs: list[Doc]) -> None:
    """Add the phrases ``docs`` of ``role`` and ``key`` to the phrase matcher of the role."""
    if not docs:
        return
    matcher = m.norm if role in _ON_NORM else m.lower
    name = f"{role} {key}"
    matcher.add(name, docs)
    m.roles[matcher.vocab.strings[name]] = (role, key)


def _add_polarity(m: Matchers, key: str, positive: Sequence[str],
                  negative: Sequence[str]) -> None:
    """Add polarity cues: a cue written in its base form (every word its own lemma: *macet*,
    *jelas*) is matched on lemmas; a derived form (*teratur*, *tunggakan*) only as written."""
    make = get_nlp().make_doc
    for cues, role in ((positive, "positive"), (negative, "negative")):
        docs = [make(p) for p in cues]
        _add(m, role, key, [d for d in docs if all(t.norm_ == t.lower_ for t in d)])
        _add(m, f"{role}_form", key, [d for d in docs if not all(t.norm_ == t.lower_ for t in d)])


_MARKERS = {"ADVERSATIVE": ADVERSATIVES, "INITIAL": INITIAL_ADVERSATIVES,
            "CONCESSIVE": CONCESSIVES, "HEDGE": HEDGES, "WISH": WISHES,
            "NEUTRAL": NEUTRAL_PHRASES, "CONDITION": CONDITIONS, "STOP": SCOPE_STOPS,
            "QUESTION": ("?",), "PRONOUN": tuple(sorted(PRONOUNS))}


def _phrase_matches(doc: Doc, m: Matchers) -> dict[str, list[tuple[str, int, int]]]:
    """``(key, start, end)`` of the phrase matches of each role (:data:`_ROLES`), each list in
    the order of a ``PhraseMatcher`` (by start, then end)."""
    found: dict[str, list[tuple[str, int, int]]] = {role: [] for role in _ROLES}
    adders = {i: (found[role].append, key) for i, (role, key) in m.roles.items()}
    for matcher in (m.lower, m.norm):
        for i, s, e in matcher(doc):
            add, key = adders[i]
            add((key, s, e))
    return found


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


_FLAGS: dict[int, tuple[int, int, int]] = {}


def _flags(vocab: Any) -> tuple[int, int, int]:
    """Lexeme flags 'is a negator', 'ends a clause' and 'is a sentence-final punctuation
    character of the sentencizer', computed once per word type."""
    if id(vocab) not in _FLAGS:
        negators = {lemmatize(w) for w in NEGATORS} | set(NEGATORS)
        breaks = {lemmatize(w) for w in CLAUSE_BREAKS} | set(CLAUSE_BREAKS)
        punct = set(get_nlp().get_pipe("sentencizer").punct_chars)
        _FLAGS[id(vocab)] = (
            vocab.add_flag(lambda s: s.lower() in negators or lemmatize(s) in negators),
            vocab.add_flag(lambda s: s.lower() in breaks),
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
        _add(m, "anchor", "", [make(str(w)) for w in words])


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
class _Hit(NamedTuple):
    code_id: str
    start: int  # token index in the doc
    end: int
    kind: str
    cue: str
    valence: float
    certainty: float = 1.0


class _Tokens(NamedTuple):
    """Per-token columns of a doc, read with one ``Doc.to_array`` call: first and end
    character (lists, and the starts as an array) and the flags punctuation, sentence-final
    character, negator and clause break (a break word or punctuation)."""

    start: list[int]
    end: list[int]
    idx: np.ndarray
    punct: np.ndarray
    period: np.ndarray
    negator: np.ndarray
    breaks: np.ndarray


def _tokens(doc: Doc, m: Matchers) -> _Tokens:
    from spacy.attrs import IDX, IS_PUNCT, LENGTH

    arr = doc.to_array([IDX, LENGTH, IS_PUNCT, m.period_flag, m.negator_flag, m.break_flag])
    idx = arr[:, 0].astype(np.int64)
    flags = arr[:, 2:].astype(bool)
    return _Tokens(idx.tolist(), (idx + arr[:, 1].astype(np.int64)).tolist(), idx, flags[:, 0],
                   flags[:, 1], flags[:, 2], flags[:, 3] | flags[:, 0])


def _matches(doc: Doc, m: Matchers, found: Mapping[str, list[tuple[str, int, int]]]
             ) -> list[tuple[str, int, int, str]]:
    """Code cue matches ``(code_id, start, end, kind)``, kind by kind, from the phrase matches
    ``found`` and the token Matcher."""
    out = [(key, s, e, kind) for kind in ("phrase", "lemma", "pattern", "person")
           for key, s, e in found[kind]]
    if len(m.tokens):
        strings = doc.vocab.strings
        out.extend((strings[i], s, e, "pattern") for i, s, e in _token_matches(doc, m, found))
    return out


def _token_matches(doc: Doc, m: Matchers, found: Mapping[str, list[tuple[str, int, int]]]
                   ) -> list[tuple[int, int, int]]:
    """Token-Matcher matches, run only on short windows that start at an anchor word (a
    pattern's possible first word) unless some pattern cannot be anchored."""
    if m.always_tokens:
        return list(m.tokens(doc))
    out: list[tuple[int, int, int]] = []
    for _key, a, _e in found["anchor"]:
        window = doc[a : a + m.max_pattern]
        out.extend((i, a + s, a + e) for i, s, e in m.tokens(window) if s == 0)
    return out


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
    return [dict(zip(AUTOCODE_COLUMNS, row, strict=True))
            for row in _code_units(text, segments, codebook, unit, skip_speakers)]


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
    return _frame(_code_units(text, units, codebook, unit, skip_speakers))


def autocode_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`autocode_segments` as a DataFrame with fixed columns and dtypes."""
    frame = pd.DataFrame(list(rows), columns=list(AUTOCODE_COLUMNS))
    for column, dtype in _DTYPES.items():
        frame[column] = frame[column].astype(dtype)
    return frame.sort_values(["start", "code_id"], kind="stable").reset_index(drop=True)


_DTYPES = {"start": np.int64, "end": np.int64, "confidence": np.float64}


def _frame(rows: Sequence[_Row]) -> pd.DataFrame:
    """The frame of :func:`autocode_frame` built from rows as tuples, column by column (sorted
    by start and code, stably, as there)."""
    if not rows:
        return autocode_frame([])
    values = zip(*sorted(rows, key=lambda row: (row[0], row[2])), strict=True)
    return pd.DataFrame({name: np.array(column, dtype=_DTYPES[name]) if name in _DTYPES
                         else list(column)
                         for name, column in zip(AUTOCODE_COLUMNS, values, strict=True)})
