"""Agreement between coders on coded text (pure functions over codings frames).

Two units, as desktop QDA tools offer them:

* ``segment``: each passage both coders read (the ``units`` frame: ``doc_id, start, end``) is
  a unit; a coder applied a code to it when one of the coder's codings of that code overlaps
  it. Per code: percent agreement and Cohen's kappa on presence/absence; overall: the same
  pooled over all (unit, code) decisions, and Krippendorff's alpha (nominal) over them.
* ``character``: as NVivo's coding comparison: per code and document, the characters coded by
  both coders, by one only, and by neither, giving percent agreement and kappa; per code and
  overall, the characters are pooled over documents, i.e. documents are **weighted by their
  length** (in characters within the units). Characters outside ``units`` are not counted.

The statistics themselves come from :mod:`uppks_qual.agreement`. A bad ``level=`` raises
:class:`~uppks_qual.errors.ParameterError`; coders or passages that cannot be compared raise
:class:`~uppks_qual.errors.AgreementError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .agreement import character_agreement, cohen_kappa, krippendorff_alpha, percent_agreement
from .errors import AgreementError
from .params import Options, validate_params
from .schema import validate_codings

__all__ = ["character_agreement_table", "find_disagreements", "segment_agreement"]


_LEVEL = {"level": [Options("factor", "code")]}
"""The ``level=`` constraint of every function here (see :mod:`uppks_qual.params`)."""


def _key(df: pd.DataFrame, level: str) -> pd.Series:
    return (df["factor"] if level == "factor" else df["code_id"]).astype(str)


def _check_coders(df: pd.DataFrame, coders: Sequence[str]) -> tuple[str, str]:
    if len(coders) != 2 or coders[0] == coders[1]:
        raise AgreementError(f"give two different coders; got {tuple(coders)!r}")
    missing = [c for c in coders if c not in set(df["coder"])]
    if missing:
        present = ", ".join(sorted(set(df["coder"]))) or "none"
        raise AgreementError(f"no codings by coder(s) {', '.join(missing)}; coders present: "
                             f"{present}; import their codings first (`uppks-qual "
                             "import-codings FILE --coder NAME`)")
    return coders[0], coders[1]


@validate_params(_LEVEL)
def presence(df: pd.DataFrame, units: pd.DataFrame, coders: Sequence[str], *,
             level: str = "factor") -> pd.DataFrame:
    """Long frame: one row per (unit, code) with the two coders' presence (0/1) and valence.

    ``units`` needs ``doc_id, start, end``; a coding counts for a unit when it overlaps it.
    """
    validate_codings(df)
    a, b = _check_coders(df, coders)
    work = df[df["coder"].isin([a, b])].assign(key=_key(df, level))
    keys = sorted(work["key"].unique())
    units = units[["doc_id", "start", "end"]].drop_duplicates().reset_index(drop=True)
    if units.empty or work.empty:
        raise AgreementError(f"no passages that both {a} and {b} read: give scope= (a frame of "
                             "doc_id, start, end) or code the same documents")
    by_doc = {d: g for d, g in work.groupby("doc_id", sort=False)}
    rows = []
    for doc_id, doc_units in units.groupby("doc_id", sort=False):
        cod = by_doc.get(doc_id, work.iloc[:0])
        # overlap of every unit with every coding of the document, at once
        hits = ((cod["start"].to_numpy()[None, :] < doc_units["end"].to_numpy()[:, None])
                & (cod["end"].to_numpy()[None, :] > doc_units["start"].to_numpy()[:, None]))
        coders_, keys_ = cod["coder"].to_numpy(), cod["key"].to_numpy()
        valences = cod["valence"].astype(str).to_numpy()
        for i, u in enumerate(doc_units.itertuples()):
            found: dict[tuple[str, str], str] = {}
            for j in np.flatnonzero(hits[i]):
                found.setdefault((keys_[j], coders_[j]), valences[j])
            for key in keys:
                va, vb = found.get((key, a)), found.get((key, b))
                rows.append({"doc_id": doc_id, "start": u.start, "end": u.end, "code": key,
                             a: int(va is not None), b: int(vb is not None),
                             f"valence_{a}": va, f"valence_{b}": vb})
    return pd.DataFrame(rows)


def _stats(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = cohen_kappa(x, y) if len(x) else float("nan")
    return {"units": len(x), "both": int(((x == 1) & (y == 1)).sum()),
            "only_1": int(((x == 1) & (y == 0)).sum()), "only_2": int(((x == 0) & (y == 1)).sum()),
            "percent_agreement": percent_agreement(x, y) if len(x) else float("nan"),
            "kappa": kappa}


@validate_params(_LEVEL)
def segment_agreement(df: pd.DataFrame, units: pd.DataFrame, coders: Sequence[str], *,
                      level: str = "factor") -> pd.DataFrame:
    """Per-code agreement on passages plus an ``overall`` row (with Krippendorff's alpha).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 5, "code_id": "leadership",
    ...      "coder": "c1"},
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 5, "code_id": "leadership",
    ...      "coder": "c2"},
    ...     {"doc_id": "d", "group": "A", "start": 6, "end": 9, "code_id": "leadership",
    ...      "coder": "c1"}])
    >>> units = pd.DataFrame({"doc_id": ["d", "d", "d"], "start": [0, 6, 10], "end": [5, 9, 12]})
    >>> segment_agreement(df, units, ("c1", "c2"))[["code", "percent_agreement"]].round(3)
             code  percent_agreement
    0  leadership              0.667
    1     overall              0.667
    """
    a, b = _check_coders(df, coders)
    long = presence(df, units, coders, level=level)
    rows = []
    for key, cell in long.groupby("code", sort=True):
        rows.append({"code": key, **_stats(cell[a].to_numpy(), cell[b].to_numpy())})
    x, y = long[a].to_numpy(), long[b].to_numpy()
    overall = {"code": "overall", **_stats(x, y)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        overall["alpha"] = krippendorff_alpha(np.vstack([x, y]), level="nominal")
    rows.append(overall)
    table = pd.DataFrame(rows)
    table.attrs["coders"] = (a, b)
    table.attrs["unit"] = "segment"
    return table


def _mask(spans: pd.DataFrame, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for s, e in zip(spans["start"], spans["end"], strict=True):
        mask[int(s):int(e)] = True
    return mask


@validate_params(_LEVEL)
def character_agreement_table(df: pd.DataFrame, documents: pd.DataFrame,
                              coders: Sequence[str], *, level: str = "factor",
                              units: pd.DataFrame | None = None) -> pd.DataFrame:
    """NVivo-style character agreement per code and document, per code and overall.

    ``documents`` needs ``doc_id, n_chars``; ``units`` (optional) limits the characters counted
    to the passages both coders read. Rows with ``doc_id == "all"`` pool a code's characters over
    documents (weighted by length); the ``overall`` row pools every code.
    """
    validate_codings(df)
    a, b = _check_coders(df, coders)
    work = df[df["coder"].isin([a, b])].assign(key=_key(df, level))
    docs = documents.set_index("doc_id")["n_chars"]
    doc_ids = sorted(set(work["doc_id"]) if units is None else set(units["doc_id"]))
    rows = []
    unknown = [d for d in doc_ids if d not in docs.index]
    if unknown:
        raise AgreementError(f"unknown document(s) in the passages: {', '.join(unknown[:5])}; "
                             "see project.documents()")
    for doc_id in doc_ids:
        n = int(docs.loc[doc_id])
        scope = _mask(units[units["doc_id"] == doc_id], n) if units is not None else np.ones(n, bool)
        cod = work[work["doc_id"] == doc_id]
        for key in sorted(work["key"].unique()):
            m1 = _mask(cod[(cod["key"] == key) & (cod["coder"] == a)], n) & scope
            m2 = _mask(cod[(cod["key"] == key) & (cod["coder"] == b)], n) & scope
            rows.append({"code": key, "doc_id": doc_id, "both": int((m1 & m2).sum()),
                         "only_1": int((m1 & ~m2).sum()), "only_2": int((~m1 & m2).sum()),
                         "neither": int((scope & ~m1 & ~m2).sum())})
    cells = pd.DataFrame(rows, columns=["code", "doc_id", "both", "only_1", "only_2", "neither"])
    pooled = cells.groupby("code", as_index=False)[["both", "only_1", "only_2", "neither"]].sum()
    pooled.insert(1, "doc_id", "all")
    total = pooled[["both", "only_1", "only_2", "neither"]].sum().to_frame().T
    total.insert(0, "code", "overall")
    total.insert(1, "doc_id", "all")
    table = pd.concat([cells, pooled, total], ignore_index=True)
    stats = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for r in table.itertuples():
            res = character_agreement(r.both, r.only_1, r.only_2, r.neither)
            stats.append((res.percent_agreement, res.kappa))
    table["percent_agreement"] = [s[0] for s in stats]
    table["kappa"] = [s[1] for s in stats]
    table.attrs["coders"] = (a, b)
    table.attrs["unit"] = "character"
    return table


@validate_params(_LEVEL)
def find_disagreements(df: pd.DataFrame, units: pd.DataFrame, coders: Sequence[str], *,
                       level: str = "factor", code: str | None = None,
                       texts: pd.Series | None = None) -> pd.DataFrame:
    """Passages where the coders differ (a code applied by one only, or different valence),
    sorted by document and position for a reconciliation meeting. ``texts`` maps doc_id to
    document text (adds a ``text`` column)."""
    a, b = _check_coders(df, coders)
    long = presence(df, units, coders, level=level)
    if code is not None:
        long = long[long["code"] == code]
    differ = (long[a] != long[b]) | (
        (long[a] == 1) & (long[b] == 1) & (long[f"valence_{a}"] != long[f"valence_{b}"]))
    out = long[differ].copy()
    out["kind"] = np.where(out[a] != out[b], "presence", "valence")
    if texts is not None:
        out.insert(3, "text", [texts[d][s:e] for d, s, e in
                               zip(out["doc_id"], out["start"], out["end"], strict=True)])
    return out.sort_values(["doc_id", "start", "code"]).reset_index(drop=True)
