"""Co-occurrence of factors or codes (see :mod:`uppks_qual.analysis`)."""

from __future__ import annotations

import pandas as pd

from ..params import Options, validate_params
from ..schema import validate_codings
from ._common import LEVELS, UNITS, _blocks, _keys, _prepare

# --------------------------------------------------------------------------------------
# Co-occurrence
# --------------------------------------------------------------------------------------


@validate_params({"unit": [Options(*UNITS)], "level": [Options(*LEVELS)]})
def cooccurrence(df: pd.DataFrame, *, unit: str = "segment", level: str = "factor") -> pd.DataFrame:
    """Which factors (or codes) are coded together, with counts and Jaccard similarity.

    Units
    -----
    ``unit="document"``: a unit is a document. ``unit="segment"``: a unit is a block of
    overlapping coded spans within a document: codings on the same ``(doc_id, start, end)``
    span, or on spans that overlap (directly or through a chain of overlaps; offsets are
    half-open, so ``[0, 5)`` and ``[5, 9)`` do not overlap), form one unit. For sentence-level
    auto codings a unit is a sentence.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    unit : {"segment", "document"}, default "segment"
    level : {"factor", "code"}, default "factor"

    Returns
    -------
    DataFrame
        One row per ordered pair ``(a, b)`` of the factors (codes) present in ``df``,
        diagonal included, with ``count`` (units with both), ``n_a``, ``n_b`` (units with
        each) and ``jaccard = count / (n_a + n_b - count)`` (``|A ∩ B| / |A ∪ B|``; 1 on the
        diagonal).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "start": 0, "end": 10, "code_id": "leadership"},
    ...     {"doc_id": "d", "start": 5, "end": 15, "code_id": "partnerships"},
    ...     {"doc_id": "d", "start": 30, "end": 40, "code_id": "leadership"},
    ... ])
    >>> co = cooccurrence(df)
    >>> co[(co["a"] == "leadership") & (co["b"] == "partnerships")][["count", "jaccard"]].to_numpy().tolist()
    [[1.0, 0.5]]
    """
    validate_codings(df)
    work = _prepare(df, "doc_id", level)
    units = work["doc_id"] if unit == "document" else _blocks(work, ["doc_id"])
    present = pd.DataFrame({"_unit": units.to_numpy(), "a": work["_key"].to_numpy()})
    present = present.drop_duplicates()
    pairs = present.merge(present.rename(columns={"a": "b"}), on="_unit")
    keys = [k for k in _keys(df, level) if k in set(present["a"])]
    index = pd.MultiIndex.from_product([keys, keys], names=["a", "b"])
    counts = pairs.groupby(["a", "b"]).size().reindex(index, fill_value=0)
    out = counts.rename("count").reset_index()
    sizes = dict(present["a"].value_counts())
    out["n_a"] = out["a"].map(sizes).astype("int64")
    out["n_b"] = out["b"].map(sizes).astype("int64")
    out["jaccard"] = out["count"] / (out["n_a"] + out["n_b"] - out["count"])
    out["count"] = out["count"].astype("int64")
    for column in ("a", "b"):
        out[column] = pd.Categorical(out[column], categories=keys)
    return out
