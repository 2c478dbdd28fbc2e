"""The codebook's cues compiled into spaCy matchers, and run on a doc.

Three matchers find cues: a ``PhraseMatcher`` on ``LOWER`` (``cues.phrases``), a
``PhraseMatcher`` on ``NORM`` = lemma (``cues.lemmas``) and a token ``Matcher``
(``cues.patterns``; ``LEMMA`` keys are matched on ``NORM``). Every phrase list (with the
valence words and clause markers of :mod:`uppks_qual.autocode.lexicon`) runs in one ``LOWER``
and one ``NORM`` pass. Token patterns of plain words run in the phrase matchers too; the
others only on short windows that start at a word that can start them.
:func:`build_matchers` caches the matchers per codebook object; :func:`compile_cues` checks
the token patterns without building the pipeline (``uppks-qual check``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..errors import PatternError
from ..nlp import get_nlp, lemmatize
from ..records import Code, Codebook
from .lexicon import (
    ADVERSATIVES,
    CLAUSE_BREAKS,
    CONCESSIVES,
    CONDITIONS,
    GENERAL_NEGATIVE,
    GENERAL_POSITIVE,
    HEDGES,
    INITIAL_ADVERSATIVES,
    NEGATORS,
    NEUTRAL_PHRASES,
    PRONOUNS,
    SCOPE_STOPS,
    WISHES,
)

if TYPE_CHECKING:
    from spacy.matcher import Matcher, PhraseMatcher
    from spacy.tokens import Doc


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
