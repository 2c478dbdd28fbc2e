"""Rule-based automatic coding with spaCy matchers fed from the codebook.

How a text is coded (all pure, no I/O):

1. The text is cut into *units* by :func:`uppks_qual.corpus.split_units`: speaker turns
   (lines starting ``LABEL:``; the label is not coded and turns of ``skip_speakers``, by
   default the interviewer ``P``, are skipped) or paragraphs. Units are tokenised by the cached ``blank("id")`` pipeline whose ``NORM`` is
   the lookup lemma (:mod:`uppks_qual.nlp`), and split into sentences by the sentencizer.
2. Three matchers find cues: a ``PhraseMatcher`` on ``LOWER`` (``cues.phrases``), a
   ``PhraseMatcher`` on ``NORM`` = lemma (``cues.lemmas``) and a token ``Matcher``
   (``cues.patterns``; ``LEMMA`` keys are matched on ``NORM``). Every phrase list (with the
   valence words and clause markers of :mod:`uppks_qual.autocode.lexicon`) runs in one
   ``LOWER`` and one ``NORM`` pass.
3. **Valence** of each cue match is read from its sentence, cut into *clauses* at
   punctuation and at contrast and concessive words. The polarity words of the code and
   general ones, negators within their scope, wishes, hedges and conditions of absence score
   each clause; a later contrast clause has the final say, a concessive clause yields (the
   rules, step by step: :mod:`uppks_qual.autocode.valence`). The sign of the sum over a
   unit's matches gives ``positive``, ``negative`` or ``neutral`` (no polarity found:
   neutral, never a guess).
4. Matches are grouped by unit (``match``, ``sentence`` or ``turn``): one row per unit and code.
   Within a unit, a factor-level code is dropped when one of its sub-codes is present (the more
   specific code wins). ``confidence`` is ``1 - prod(1 - w)`` over the unit's distinct cues with
   weights phrase 0.85, pattern 0.8, lemma 0.7, times the certainty of the surest of the code's
   matches: 0.75 in a hedged clause, 0.6 in a question (a clause ending in "?"), 0.45 both.

The package: :mod:`~uppks_qual.autocode.lexicon` (the word lists of the valence rules),
:mod:`~uppks_qual.autocode.matchers` (step 2), :mod:`~uppks_qual.autocode.valence` (step 3,
the valence rules), :mod:`~uppks_qual.autocode.units` (sentences, units and rows: steps 1 and
4); the public functions are here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..corpus import split_units
from ..params import Options, validate_params
from ..records import Codebook, Segment
from ..textio import SPEAKER_LABEL
from .lexicon import ADVERSATIVES as ADVERSATIVES
from .lexicon import CLAUSE_BREAKS as CLAUSE_BREAKS
from .lexicon import CONCESSIVES as CONCESSIVES
from .lexicon import CONDITIONS as CONDITIONS
from .lexicon import GENERAL_NEGATIVE as GENERAL_NEGATIVE
from .lexicon import GENERAL_POSITIVE as GENERAL_POSITIVE
from .lexicon import HEDGES as HEDGES
from .lexicon import INITIAL_ADVERSATIVES as INITIAL_ADVERSATIVES
from .lexicon import NEGATORS as NEGATORS
from .lexicon import NEUTRAL_PHRASES as NEUTRAL_PHRASES
from .lexicon import PRONOUNS as PRONOUNS
from .lexicon import SCOPE_STOPS as SCOPE_STOPS
from .lexicon import WISHES as WISHES
from .matchers import MAX_EXPANSION as MAX_EXPANSION
from .matchers import Matchers as Matchers
from .matchers import build_matchers, compile_cues
from .units import WEIGHTS as WEIGHTS
from .units import _code_units, _Row
from .units import sentence_bounds as sentence_bounds
from .valence import GENERAL_WEIGHT as GENERAL_WEIGHT
from .valence import HEDGE_CERTAINTY as HEDGE_CERTAINTY
from .valence import OTHER_CODES_WEIGHT as OTHER_CODES_WEIGHT
from .valence import QUESTION_CERTAINTY as QUESTION_CERTAINTY
from .valence import Polarity as Polarity
from .valence import _clause_table as _clause_table

__all__ = ["AUTOCODE_COLUMNS", "UNITS", "autocode_segments", "autocode_text", "build_matchers",
           "compile_cues"]

UNITS = ("match", "sentence", "turn")
AUTOCODE_COLUMNS = ("start", "end", "code_id", "factor", "valence", "confidence", "text", "cues",
                    "unit")


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
