"""Combining manual and automatic codings into one body of evidence (see :mod:`uppks_qual.analysis`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import validate_codings

# --------------------------------------------------------------------------------------
# Combining manual and automatic codings
# --------------------------------------------------------------------------------------


def combine_codings(df: pd.DataFrame, *, scope: pd.DataFrame | None = None,
                    factors: Sequence[str] | None = None) -> pd.DataFrame:
    """One body of evidence from manual and automatic codings: a human's judgement wins.

    Automatic codings that overlap a passage a human coded (any manual coding), or a passage in
    ``scope`` (``doc_id, start, end`` of passages humans read, coded or not), are dropped;
    everything else is kept. With several human coders, each coder's codings are all kept, so
    pass ``df`` filtered to the coders whose judgement should count. ``factors`` keeps only
    codings of those factors (and drops unused factor categories).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "manual", "coder": "ana"},
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"},
    ...     {"doc_id": "d", "group": "A", "start": 20, "end": 30, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"}])
    >>> combine_codings(df)["start"].tolist()
    [0, 20]
    """
    validate_codings(df)
    manual = df[df["origin"] == "manual"][["doc_id", "start", "end"]]
    seen = manual if scope is None else pd.concat([manual, scope[["doc_id", "start", "end"]]])
    auto = df[df["origin"] == "auto"]
    drop = np.zeros(len(auto), dtype=bool)
    for doc_id, spans in seen.groupby("doc_id"):
        mask = (auto["doc_id"] == doc_id).to_numpy()
        if not mask.any():
            continue
        starts, ends = auto["start"].to_numpy()[mask], auto["end"].to_numpy()[mask]
        hit = np.zeros(mask.sum(), dtype=bool)
        for a, b in zip(spans["start"], spans["end"], strict=True):
            hit |= (starts < b) & (ends > a)
        drop[np.flatnonzero(mask)[hit]] = True
    out = pd.concat([df[df["origin"] == "manual"], auto[~drop]]).sort_values(
        ["doc_id", "start", "end", "code_id"], kind="stable")
    if factors is not None:
        out = out[out["factor"].isin(list(factors))].copy()
        out["factor"] = out["factor"].cat.set_categories(list(factors))
    return out.reset_index(drop=True)
