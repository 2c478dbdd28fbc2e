"""The tidy analysis surface: column lists, dtypes and the one validator used at boundaries.

``project.codings()`` returns a frame with :data:`CODING_COLUMNS` in this order and these
dtypes; every analysis, chart and agreement function takes such a frame. Build one by hand
(e.g. in tests) with :func:`codings_frame`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import pandas as pd

from .errors import ParameterError
from .records import ORIGINS, PASSAGE_KINDS, SOURCE_TYPES, VALENCES

__all__ = ["CODING_COLUMNS", "CODING_DTYPES", "codings_frame", "validate_codings"]

#: Column -> dtype of ``project.codings()``; "category" columns get their categories from
#: :func:`codings_frame` (group/factor from the data or the arguments; valence/origin fixed).
CODING_DTYPES: dict[str, str] = {
    "coding_id": "int64",
    "doc_id": "object",
    "group": "category",
    "village": "object",
    "source_type": "category",
    "informant_role": "object",
    "informant": "object",
    "case": "object",
    "speaker": "object",
    "kind": "category",
    "start": "int64",
    "end": "int64",
    "code_id": "object",
    "code_label": "object",
    "factor": "category",
    "valence": "category",
    "coder": "object",
    "origin": "category",
    "confidence": "float64",
    "text": "object",
}
CODING_COLUMNS: tuple[str, ...] = tuple(CODING_DTYPES)


def codings_frame(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    groups: Sequence[str] | None = None,
    factors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Build a codings frame with the fixed columns, order and dtypes.

    Missing optional columns are filled (``coding_id`` numbered from 1, ``confidence`` NaN,
    ``valence`` "neutral", ``origin`` "manual", text columns empty, ``case`` the informant of an
    interview and the document otherwise, ``kind`` "turn" in an interview and "paragraph"
    otherwise: see :mod:`uppks_qual.passages`). Other columns (document
    attributes such as ``district`` or ``wave``) are kept, after the fixed ones. An empty
    ``group`` (a document that belongs to no group) becomes missing, so it takes part in no
    group comparison.

    Examples
    --------
    >>> df = codings_frame([{"doc_id": "d1", "group": "north", "start": 0, "end": 5,
    ...                      "code_id": "leadership", "factor": "leadership",
    ...                      "coder": "c1", "text": "Rapat"}])
    >>> df["valence"].iloc[0], str(df["group"].dtype)
    ('neutral', 'category')
    """
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    n = len(frame)
    defaults: dict[str, Any] = {
        "coding_id": range(1, n + 1), "valence": "neutral", "origin": "manual",
        "confidence": float("nan"), "village": "", "source_type": "interview",
        "informant_role": "", "informant": "", "code_label": None, "coder": "", "text": "",
        "group": "", "factor": None, "case": None, "speaker": None, "kind": None,
    }
    for col in CODING_COLUMNS:
        if col not in frame.columns:
            frame[col] = list(defaults[col]) if col == "coding_id" else defaults.get(col)
    if frame["code_label"].isna().any():
        frame["code_label"] = frame["code_label"].fillna(frame["code_id"])
    if frame["factor"].isna().any():
        frame["factor"] = frame["factor"].fillna(frame["code_id"].str.split(".").str[0])
    if frame["case"].isna().any():  # the informant of an interview, else the document
        own = frame["informant"].fillna("").astype(str).str.strip().ne("") & \
            frame["source_type"].astype(object).eq("interview")
        frame["case"] = frame["case"].fillna(
            frame["informant"].where(own, frame["doc_id"]).astype(object))
    if frame["kind"].isna().any():
        frame["kind"] = frame["kind"].fillna(frame["source_type"].astype(object).map(
            lambda t: "turn" if t == "interview" else "paragraph"))
    frame["valence"] = frame["valence"].fillna("neutral")
    frame["group"] = frame["group"].replace("", None)
    extra = [c for c in frame.columns if c not in CODING_DTYPES]
    frame = frame[[*CODING_COLUMNS, *extra]]
    cats = {
        "group": list(groups) if groups is not None else sorted(frame["group"].dropna().unique()),
        "factor": list(factors) if factors is not None else list(dict.fromkeys(frame["factor"])),
        "valence": list(VALENCES),
        "origin": list(ORIGINS),
        "source_type": list(SOURCE_TYPES),
        "kind": list(PASSAGE_KINDS),
    }
    for col, dtype in CODING_DTYPES.items():
        if dtype == "category":
            frame[col] = pd.Categorical(frame[col], categories=cats[col])
        else:
            frame[col] = frame[col].astype(dtype)
    return frame.reset_index(drop=True)


def validate_codings(df: pd.DataFrame, *, where: str = "codings") -> pd.DataFrame:
    """Check ``df`` has the codings columns with the right dtypes; return it unchanged.

    Parameters
    ----------
    df : DataFrame
        The frame to check.
    where : str, default "codings"
        What to call the frame at the start of a message (e.g. the calling function).

    Returns
    -------
    DataFrame
        ``df`` itself.

    Raises
    ------
    ParameterError
        Naming the frame problem (not a DataFrame, a missing column, a wrong dtype, an unknown
        valence) and how to build a valid frame; ``problem`` is one of "type", "missing",
        "dtype", "valence".

    Examples
    --------
    >>> validate_codings(codings_frame([])).shape
    (0, 20)
    >>> validate_codings(pd.DataFrame({"doc_id": ["d1"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    uppks_qual.errors.ParameterError: codings: missing column(s) coding_id, group, ...
    """
    if not isinstance(df, pd.DataFrame):
        _refuse(where, f"expected a codings DataFrame; got {type(df).__name__}", "type")
    missing = [c for c in CODING_COLUMNS if c not in df.columns]
    if missing:
        _refuse(where, f"missing column(s) {', '.join(missing)}", "missing", columns=missing)
    for col, dtype in CODING_DTYPES.items():
        actual = str(df[col].dtype)
        ok = actual == dtype or (dtype == "object" and actual in ("object", "string", "str"))
        if not ok:
            _refuse(where, f"column {col!r} has dtype {actual}, expected {dtype}", "dtype",
                    columns=[col])
    bad = set(df["valence"].dropna().unique()) - set(VALENCES)
    if bad:
        raise ParameterError(f"{where}: valence values {sorted(bad)} not in {list(VALENCES)}",
                             where=where, problem="valence", values=sorted(bad))
    return df


def _refuse(where: str, what: str, problem: str, **data: Any) -> NoReturn:
    raise ParameterError(f"{where}: {what}; pass project.codings() or a frame built with "
                         "uppks_qual.schema.codings_frame()",
                         where=where, problem=problem, **data)
