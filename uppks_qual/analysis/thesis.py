"""A hypothesis about two groups: a verdict per factor and group (see
:mod:`uppks_qual.analysis`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import Interval, validate_params
from ..records import VALENCES
from ..schema import validate_codings
from ._common import _check_pair, _full, _prepare, _valence_counts, balance
from .framework import _pick_quotes

# --------------------------------------------------------------------------------------
# A hypothesis "each factor works better in a than in b"
# --------------------------------------------------------------------------------------


def _verdicts(counts: pd.DataFrame, *, working: float, lacking: float,
              min_evidence: int) -> pd.DataFrame:
    """Add ``evidence``, ``balance`` and ``verdict`` to a positive/negative/neutral table."""
    out = counts.copy()
    out["evidence"] = out["positive"] + out["negative"]
    out["balance"] = balance(out["positive"], out["negative"])
    insufficient = (out["evidence"] < min_evidence) | out["balance"].isna()
    conditions = [insufficient, out["balance"] >= working, out["balance"] <= lacking]
    choices = ["insufficient evidence", "working", "lacking"]
    out["verdict"] = np.select(conditions, choices, default="mixed").astype(object)
    return out


def _agrees(row: pd.Series, *, strict: bool) -> Any:
    insufficient = "insufficient evidence"
    if insufficient in (row["verdict_a"], row["verdict_b"]):
        return pd.NA
    better = bool(row["balance_a"] > row["balance_b"])
    return better and row["verdict_a"] != "lacking" if strict else better


@validate_params({
    "working": [Interval(float, -1, 1)],
    "lacking": [Interval(float, -1, 1)],
    "min_evidence": [Interval(int, 0, None)],
    "quotes": [Interval(int, 0, None)],
})
def thesis_comparison(
    df: pd.DataFrame,
    *,
    a: Any,
    b: Any,
    working: float = 0.2,
    lacking: float = -0.2,
    min_evidence: int = 3,
    quotes: int = 2,
    factors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Test a hypothesis "each factor works better in group ``a`` than in group ``b``".

    A study's hypothesis (or its published finding, to be reproduced) names two groups and
    the factors that should do better in the first; it belongs in the study's manifest and is
    passed in here as ``a``, ``b`` and ``factors``. This function derives a verdict per factor
    and group from the valence of the codings and says whether the direction agrees with the
    hypothesis.

    .. important::
       The verdicts are read from codings, so they are only as good as the material and the
       coding. On an **illustrative corpus** written from a study's summary they are
       **not field findings**: agreement then shows that the toolkit recovers what the
       corpus was written to contain, nothing more. Codings are not independent trials: read
       the verdicts together with case-level figures and their uncertainty.

    Rules
    -----
    For one factor in one group, with ``pos``, ``neg`` and ``neu`` its positive, negative and
    neutral codings:

    - ``evidence = pos + neg`` (only valenced codings say whether a factor worked);
    - ``balance = (pos - neg) / (pos + neg)`` (:func:`balance`, the same measure as in
      :func:`valence_balance` and :func:`framework_matrix`), from -1 to 1; neutral codings
      do not weigh on it (they are still counted in ``neutral_a``/``neutral_b``); nan, with
      a RuntimeWarning, when there are no positive or negative codings;
    - ``verdict`` is ``"insufficient evidence"`` if ``evidence < min_evidence`` (or the
      balance is nan); otherwise
      ``"working"`` if ``balance >= working``, ``"lacking"`` if ``balance <= lacking``, and
      ``"mixed"`` in between;
    - ``agrees_with_hypothesis`` (the *direction*) is ``<NA>`` when either group's verdict is
      "insufficient evidence"; otherwise True exactly when ``balance_a > balance_b`` (the
      factor's evidence is more favourable in ``a``), else False;
    - ``supports_hypothesis`` is stricter: the direction agrees **and**
      ``verdict_a != "lacking"`` (the factor did better in ``a`` and did not fail there).

    Quotes per group and factor are chosen as in :func:`framework_matrix`, preferring
    positive quotes for a "working" verdict, negative ones for "lacking" and no valence
    otherwise.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    a, b
        Two values of ``group``: ``a`` is the group the hypothesis expects to do better.
        Required: there is no default study.
    working, lacking : float, default 0.2, -0.2
        Balance thresholds in [-1, 1], ``lacking < working``.
    min_evidence : int, default 3
        Fewest valenced codings for a verdict other than "insufficient evidence".
    quotes : int, default 2
        Quotes per group and factor.
    factors : sequence of str, optional
        The factors the hypothesis is about, e.g. ``[c.code_id for c in
        codebook.factors()]``. Default: the factor categories of ``df`` that have codings
        (which includes structural codes if the frame has them).

    Returns
    -------
    DataFrame
        One row per factor: ``factor``, ``group_a``, ``group_b``; for each group (suffix
        ``_a``/``_b``) ``verdict``, ``balance``, ``positive``, ``negative``, ``neutral`` and
        ``quotes`` (tuple); and ``agrees_with_hypothesis`` and ``supports_hypothesis``
        (nullable booleans).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> rows = ([{"group": "north", "valence": "positive"}] * 4
    ...         + [{"group": "south", "valence": "negative"}] * 3)
    >>> df = codings_frame([dict(r, doc_id="d", start=0, end=1, code_id="leadership")
    ...                     for r in rows])
    >>> row = thesis_comparison(df, a="north", b="south").iloc[0]
    >>> row["verdict_a"], row["verdict_b"], bool(row["agrees_with_hypothesis"])
    ('working', 'lacking', True)
    """
    validate_codings(df)
    func = "thesis_comparison"
    if not lacking < working:  # a constraint between two parameters
        raise ParameterError(f"The 'lacking' parameter of {func} must be lower than 'working' "
                             f"({working!r}). Got {lacking!r} instead.",
                             parameter="lacking", function=func, value=lacking)
    _check_pair(func, df, "group", a, b)
    if factors is None:
        present = set(df["factor"].dropna())
        factors = [f for f in df["factor"].cat.categories if f in present]
    work = _prepare(df, "group", "factor")
    counts = _full(_valence_counts(work), [a, b], list(factors))
    table = _verdicts(counts, working=working, lacking=lacking, min_evidence=min_evidence)
    cells = dict(iter(work.groupby(["_by", "_key"], sort=False)))
    prefer = {"working": "positive", "lacking": "negative"}
    table["quotes"] = [_pick_quotes(cells.get(i, work.iloc[:0]), quotes, prefer.get(v))
                       for i, v in zip(table.index, table["verdict"], strict=True)]
    return _thesis_frame(table, a, b, list(factors))


def _thesis_frame(table: pd.DataFrame, a: Any, b: Any, factors: list[str]) -> pd.DataFrame:
    columns = ["verdict", "balance", *VALENCES, "quotes"]
    side_a = table.xs(a, level="_by")[columns].add_suffix("_a")
    side_b = table.xs(b, level="_by")[columns].add_suffix("_b")
    out = side_a.join(side_b).rename_axis("factor").reset_index()
    out.insert(1, "group_a", a)
    out.insert(2, "group_b", b)
    out["agrees_with_hypothesis"] = pd.array(
        [_agrees(r, strict=False) for _, r in out.iterrows()], dtype="boolean")
    out["supports_hypothesis"] = pd.array(
        [_agrees(r, strict=True) for _, r in out.iterrows()], dtype="boolean")
    out["factor"] = pd.Categorical(out["factor"], categories=factors)
    return out
