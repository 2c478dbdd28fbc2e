"""The one evidence path: which codings count, when several coders coded the same text.

Every count, comparison, chart and export of uppks-qual that speaks about the corpus is made
from the frame :func:`evidence` returns (``project.evidence()`` calls it with the project's
settings), so that the CLI, the report, the exports and a notebook agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..params import InstanceOf, check_param
from ..records import HUMAN_ORIGINS
from ..schema import validate_codings

__all__ = ["default_coders", "evidence"]

_SPAN = ["doc_id", "start", "end"]
#: Passage kinds that are the researcher speaking, not the material (left out by default).
RESEARCHER_KINDS = ("note", "question")


def default_coders(df: pd.DataFrame, *, read: pd.DataFrame | None = None) -> list[str]:
    """Every coder of ``df`` in the default order of precedence: the human coders (origin
    ``manual`` or ``reviewed``, and the coders of ``read``: only humans read) by name, then
    the automatic coders by name."""
    human = df["origin"].isin(HUMAN_ORIGINS)
    readers = set() if read is None else set(read["coder"])
    manual = sorted(set(df.loc[human, "coder"]) | readers)
    auto = sorted(set(df.loc[~human, "coder"]) - set(manual))
    return [*manual, *auto]


def evidence(df: pd.DataFrame, *, coders: Sequence[str] | None = None,
             read: pd.DataFrame | None = None,
             factors: Sequence[str] | None = None,
             include_notes: bool = False) -> pd.DataFrame:
    """One body of evidence from several coders: on every passage, the first coder who read it
    has the say.

    ``coders`` lists the coders whose codings count, in order of precedence (the usual order
    is the human coders, then the automatic coder). A coder's coding is kept unless it overlaps
    a passage that a coder earlier in the list coded, or read and left uncoded (``read``).
    So a human's judgement replaces the automatic codings on the passages the human read,
    and two humans who coded the same passage are not counted twice. Codings of coders not
    in the list are left out.

    Parameters
    ----------
    df : DataFrame
        Codings frame (``project.codings()``).
    coders : sequence of str, optional
        Coders in order of precedence. Default: :func:`default_coders`.
    read : DataFrame, optional
        Passages coders read, coded or not: ``doc_id, start, end, coder``
        (``project.readings()``).
    factors : sequence of str, optional
        Keep only codings of these factors (the ``factor`` column), in this category order.
    include_notes : bool, default False
        Count codings of the researcher's own words too: bracketed notes and interviewer
        questions (``kind`` "note" or "question", :mod:`uppks_qual.passages`). They are not
        what informants said or what was observed, so by default they are left out (after
        precedence: a coder who coded a note still claims that passage).

    Returns
    -------
    DataFrame
        A codings frame (same columns and dtypes), sorted by document, span and code.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "manual", "coder": "c1"},
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"},
    ...     {"doc_id": "d", "group": "A", "start": 20, "end": 30, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"}])
    >>> evidence(df)[["start", "coder"]].to_numpy().tolist()
    [[0, 'c1'], [20, 'auto']]
    """
    validate_codings(df, where="evidence")
    check_param(read, [InstanceOf(pd.DataFrame, what="a DataFrame"), None], name="read",
                func="evidence")
    check_param(include_notes, [bool], name="include_notes", func="evidence")
    order = default_coders(df, read=read) if coders is None else list(coders)
    claimed = pd.DataFrame(columns=_SPAN)
    parts = []
    for coder in order:
        mine = df[df["coder"] == coder]
        parts.append(mine[~_overlaps(mine, claimed)])
        seen = [mine[_SPAN]]
        if read is not None:
            seen.append(read.loc[read["coder"] == coder, _SPAN])
        claimed = pd.concat([claimed, *seen], ignore_index=True)
    out = pd.concat([df.iloc[:0], *parts]).sort_values(
        ["doc_id", "start", "end", "code_id", "coder"], kind="stable")
    if not include_notes:
        out = out[~out["kind"].isin(RESEARCHER_KINDS)]
    if factors is not None:
        out = out[out["factor"].isin(list(factors))].copy()
        out["factor"] = out["factor"].cat.set_categories(list(factors))
    return out.reset_index(drop=True)


def _overlaps(spans: pd.DataFrame, claimed: pd.DataFrame) -> np.ndarray:
    """For each row of ``spans``, whether it overlaps a span of ``claimed`` (same document;
    half-open offsets, so ``[0, 5)`` and ``[5, 9)`` do not overlap)."""
    hit = np.zeros(len(spans), dtype=bool)
    if spans.empty or claimed.empty:
        return hit
    doc_of = spans["doc_id"].to_numpy()
    for doc_id, taken in claimed.groupby("doc_id"):
        rows = np.flatnonzero(doc_of == doc_id)
        if not len(rows):
            continue
        starts, ends = _merged(taken["start"].to_numpy(int), taken["end"].to_numpy(int))
        a = spans["start"].to_numpy(int)[rows]
        b = spans["end"].to_numpy(int)[rows]
        k = np.searchsorted(starts, b, side="left") - 1  # last claimed span starting before b
        hit[rows] = (k >= 0) & (ends[np.maximum(k, 0)] > a)
    return hit


def _merged(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint, sorted spans covering the same characters as ``[starts, ends)``."""
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    groups = np.cumsum(new) - 1
    merged_end = np.zeros(groups[-1] + 1, dtype=int)
    np.maximum.at(merged_end, groups, e)
    return s[new], merged_end
