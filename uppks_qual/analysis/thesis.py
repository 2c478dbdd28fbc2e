"""A hypothesis about two groups, tested case by case (see :mod:`uppks_qual.analysis`).

:func:`thesis_comparison` asks, factor by factor, whether "each factor works better in group
``a`` than in group ``b``" holds when every case (person or document) weighs once;
:func:`check_hypothesis` does it for a study manifest's :class:`~uppks_qual.manifest.Hypothesis`
and :func:`hypothesis_sensitivity` re-runs the verdicts over a grid of settings.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..errors import warn as _warn
from ..manifest import Hypothesis
from ..params import InstanceOf, Interval, check_param, validate_params
from ..schema import validate_codings
from ._cases import bootstrap_interval, case_table, permutation_p
from ._common import _check_pair
from .framework import _case_of, _cell_quotes

INSUFFICIENT = "insufficient evidence"

HYPOTHESIS_VERDICTS: tuple[str, ...] = ("supports", "contradicts", "inconclusive", INSUFFICIENT)
"""Verdicts of :func:`thesis_comparison` on the hypothesis (``verdict``)."""

THESIS_COLUMNS: tuple[str, ...] = (
    "factor", "group_a", "group_b", "cases_a", "cases_b", "balance_a", "balance_b",
    "difference", "ci_low", "ci_high", "p_value", "verdict", "state_a", "state_b",
    "agrees_with_hypothesis", "supports_hypothesis", "loo_runs", "loo_holds", "loo_flips",
    "stability", "quotes_a", "quotes_b", "disconfirming_a", "disconfirming_b",
)
"""Columns of :func:`thesis_comparison`, in order."""

SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "factor", "confidence", "min_valenced", "case", "difference", "ci_low", "ci_high", "verdict",
)
"""Columns of :func:`hypothesis_sensitivity`, in order."""

#: A difference this close to zero has no direction (floating-point noise).
_TOL = 1e-12
_EMPTY = pd.Series(dtype="float64")

_SHARED = {
    "confidence": [Interval(float, 0, 1, closed="neither")],
    "n_resamples": [Interval(int, 1, None)],
    "seed": [Interval(int, 0, None)],
    "min_cases": [Interval(int, 1, None)],
}


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


def _factors(df: pd.DataFrame, factors: Sequence[str] | None) -> list[str]:
    """``factors``, or the factor categories of ``df`` that have codings."""
    if factors is not None:
        return [str(f) for f in factors]
    present = set(df["factor"].dropna())
    return [f for f in df["factor"].cat.categories if f in present]


def _balances(df: pd.DataFrame, *, a: Any, b: Any, factors: list[str], case: str,
              min_valenced: int) -> dict[tuple[Any, str], pd.Series]:
    """(group, factor) -> the balances of the group's cases (indexed by case name) that have
    at least ``min_valenced`` positive or negative codings of the factor (at least one: a
    case without any has no balance)."""
    pair = df["group"].isin([a, b]).to_numpy()
    table = case_table(df, case=case, by="group", level="factor", keys=factors, rows=pair)
    table = table[(table["positive"] + table["negative"]) >= max(min_valenced, 1)]
    return {(g, f): pd.Series(rows["balance"].to_numpy("float64"),
                              index=rows["case"].astype(str).to_numpy())
            for (g, f), rows in table.groupby(["group", "factor"], sort=False)}


def _rng(seed: int, factor: str) -> np.random.Generator:
    """A generator for one factor: its results do not depend on which others are asked for."""
    return np.random.default_rng([seed, zlib.crc32(str(factor).encode("utf-8"))])


def _test(x_a: pd.Series, x_b: pd.Series, *, factor: str, confidence: float,
          n_resamples: int, seed: int, min_cases: int, with_p: bool = True) -> dict[str, Any]:
    """Mean case balances, their difference, its bootstrap interval, p and the verdict."""
    mean_a = float(x_a.mean()) if len(x_a) else math.nan
    mean_b = float(x_b.mean()) if len(x_b) else math.nan
    out: dict[str, Any] = {"cases_a": len(x_a), "cases_b": len(x_b), "balance_a": mean_a,
                           "balance_b": mean_b, "difference": mean_a - mean_b,
                           "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    if min(len(x_a), len(x_b)) < min_cases:
        return {**out, "verdict": INSUFFICIENT}
    rng = _rng(seed, factor)
    low, high = bootstrap_interval(x_a, x_b, rng=rng, n_resamples=n_resamples,
                                   confidence=confidence)
    if with_p:
        out["p_value"] = permutation_p(x_a, x_b, rng=rng, n_resamples=n_resamples)[0]
    verdict = "supports" if low > 0 else "contradicts" if high < 0 else "inconclusive"
    return {**out, "ci_low": low, "ci_high": high, "verdict": verdict}


def _leave_one_out(x_a: pd.Series, x_b: pd.Series,
                   difference: float) -> tuple[int, int, tuple[str, ...], bool]:
    """Drop each case in turn: (runs, runs keeping the sign of ``difference``, the cases
    whose removal does not, whether each of those reverses it rather than cancelling it).
    Removing a group's only case leaves no difference: that cancels it."""
    n_a, n_b = len(x_a), len(x_b)
    if not n_a or not n_b or not abs(difference) > _TOL:
        return 0, 0, (), True
    without_a = ((x_a.sum() - x_a) / (n_a - 1) if n_a > 1 else x_a * math.nan) - x_b.mean()
    without_b = x_a.mean() - ((x_b.sum() - x_b) / (n_b - 1) if n_b > 1 else x_b * math.nan)
    runs = pd.concat([without_a, without_b]).fillna(0.0)
    sign = np.where(runs.abs() <= _TOL, 0.0, np.sign(runs))
    holds = sign == np.sign(difference)
    flips = runs[~holds]
    return len(runs), int(holds.sum()), tuple(flips.index), bool((sign[~holds] != 0).all())


def _names(names: Sequence[str], limit: int = 5) -> str:
    """``A``, ``A or B``, ``A, B or C``; past ``limit`` names, ``... or k more``."""
    shown = list(names[:limit])
    if len(names) > limit:
        return ", ".join(shown) + f" or {len(names) - limit} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" or {shown[-1]}"


def _stability(verdict: str, difference: float, runs: int, holds: int,
               flips: tuple[str, ...], reverses: bool) -> str:
    """The leave-one-case-out result in words."""
    if verdict == INSUFFICIENT:
        return "not assessed: too few cases"
    if abs(difference) <= _TOL:
        return "no direction to keep: the mean case balances are equal"
    if holds == runs:
        return f"direction holds in all {runs} leave-one-case-out runs"
    verb = "reverses it" if reverses else "reverses or cancels it"
    return (f"direction holds in {holds} of {runs} leave-one-case-out runs; removing "
            f"{_names(flips)} {verb}")


def _state(mean: float, cases: int, *, working: float, lacking: float, min_cases: int) -> str:
    """One group's descriptive state from its mean case balance."""
    if cases < min_cases or math.isnan(mean):
        return INSUFFICIENT
    return "working" if mean >= working else "lacking" if mean <= lacking else "mixed"


def _quote_columns(df: pd.DataFrame, *, a: Any, b: Any, factors: list[str], col: str,
                   quotes: int) -> dict[str, list[tuple[str, ...]]]:
    """Typical and disconfirming quotes of each factor in each group."""
    pair = df[df["group"].isin([a, b]).to_numpy()]
    keys = [pair["group"].astype(object), pair["factor"].astype(object)]
    cells = dict(iter(pair.groupby(keys, sort=False))) if quotes else {}
    out: dict[str, list[tuple[str, ...]]] = {}
    for side, group in (("a", a), ("b", b)):
        picked = [_cell_quotes(cells[(group, f)], col, quotes) if (group, f) in cells
                  else ((), ()) for f in factors]
        out[f"quotes_{side}"] = [p[0] for p in picked]
        out[f"disconfirming_{side}"] = [p[1] for p in picked]
    return out


def _check_thresholds(func: str, working: float, lacking: float) -> None:
    if not lacking < working:  # a constraint between two parameters
        raise ParameterError(f"The 'lacking' parameter of {func} must be lower than 'working' "
                             f"({working!r}). Got {lacking!r} instead.",
                             parameter="lacking", function=func, value=lacking)


# --------------------------------------------------------------------------------------
# A hypothesis "each factor works better in a than in b"
# --------------------------------------------------------------------------------------


@validate_params({
    **_SHARED,
    "working": [Interval(float, -1, 1)],
    "lacking": [Interval(float, -1, 1)],
    "quotes": [Interval(int, 0, None)],
})
def thesis_comparison(
    df: pd.DataFrame,
    *,
    a: Any,
    b: Any,
    factors: Sequence[str] | None = None,
    case: str = "informant",
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
    min_cases: int = 2,
    working: float = 0.2,
    lacking: float = -0.2,
    quotes: int = 2,
) -> pd.DataFrame:
    """Test a hypothesis "each factor works better in group ``a`` than in group ``b``", case
    by case.

    A study's hypothesis (or its published finding, to be reproduced) names two groups and
    the factors that should do better in the first; it belongs in the study's manifest and is
    passed in here as ``a``, ``b`` and ``factors`` (:func:`check_hypothesis` reads it from a
    :class:`~uppks_qual.manifest.Hypothesis`).

    .. important::
       The verdicts are read from codings, so they are only as good as the material and the
       coding. On an **illustrative corpus** written from a study's summary they are
       **not field findings**: agreement then shows that the toolkit recovers what the
       corpus was written to contain, nothing more.

    Rules
    -----
    - **A case** is the unit that speaks: with ``case="informant"`` the person who said a
      passage, or the source document itself for observation and document notes (the
      ``case`` column of the codings frame); ``case="doc_id"`` makes each document a case.
    - **Each case weighs once.** Codings of one person are not independent trials: an
      informant who talks about a factor for an hour would otherwise outvote five who mention
      it once. So each case's codings of a factor are first reduced to its own balance
      ``(pos - neg) / (pos + neg)`` (:func:`balance`, from -1 to 1; neutral codings do not
      weigh on it), and a case without a positive or negative coding of the factor has no
      balance and does not take part.
    - ``balance_a`` and ``balance_b`` are the **means of the case balances** of each group,
      over its ``cases_a`` / ``cases_b`` cases with a balance; ``difference = balance_a -
      balance_b`` (positive: the factor does better in ``a``, as hypothesised).
    - ``ci_low``/``ci_high`` is a percentile **cluster-bootstrap interval** of the difference
      at level ``confidence``: the cases of each group are resampled with replacement,
      ``n_resamples`` times, and the difference recomputed; the interval holds the middle
      ``confidence`` share of those differences. It says how much the difference could
      move had other cases of the same kind been interviewed.
    - ``p_value`` is a two-sided **permutation test** of the same difference, relabelling
      cases between the groups (exact when there are at most ``n_resamples``
      relabellings).
    - ``verdict``: ``"supports"`` only when the whole interval lies above zero
      (``ci_low > 0``): a difference in the hypothesised direction that resampling the cases
      does not erase; ``"contradicts"`` when it lies below zero (``ci_high < 0``);
      ``"inconclusive"`` when it contains zero (the cases do not tell the groups apart:
      an honest verdict, not a failure); ``"insufficient evidence"`` when a group has fewer
      than ``min_cases`` cases with a balance.
    - ``state_a``/``state_b`` **describe** each group from its mean case balance:
      ``"working"`` if ``>= working``, ``"lacking"`` if ``<= lacking``, ``"mixed"``
      between, ``"insufficient evidence"`` below ``min_cases`` cases. The thresholds only
      label the level; they decide nothing about the hypothesis, which rests on the interval.
    - ``agrees_with_hypothesis`` is the direction only: ``difference > 0``;
      ``supports_hypothesis`` is ``verdict == "supports"``; both ``<NA>`` with insufficient
      evidence.
    - **Leave one case out**: each of the ``loo_runs`` cases with a balance (of either group)
      is dropped in turn and the difference recomputed; ``loo_holds`` runs keep the sign of
      the full-sample difference, and ``loo_flips`` names the cases whose removal reverses
      (or cancels) it; ``stability`` says so in words. A verdict that one informant can
      overturn is fragile, whatever its interval.
    - **Quotes** (``quotes_a``/``quotes_b``) are *typical* of each group's cases, not chosen
      to fit the verdict: codings of the group's majority valence by cases, one per case,
      ranked as in :func:`framework_matrix`; ``disconfirming_a``/``disconfirming_b`` are the
      passages of the opposite valence by the same rule (at least one whenever one exists and
      ``quotes >= 1``).

    Parameters
    ----------
    df : DataFrame
        Codings frame (``project.evidence()``).
    a, b
        Two values of ``group``: ``a`` is the group the hypothesis expects to do better.
        Required: there is no default study.
    factors : sequence of str, optional
        The factors the hypothesis is about, e.g. ``[c.code_id for c in
        codebook.factors()]``. Default: the factor categories of ``df`` that have codings.
    case : str, default "informant"
        What a case is: ``"informant"`` (the ``case`` column), ``"doc_id"`` or another column.
    confidence : float, default 0.95
        Level of the bootstrap interval, in (0, 1).
    n_resamples : int, default 9999
        Bootstrap resamples and Monte-Carlo permutations.
    seed : int, default 0
        Seed of the resampling (each factor gets its own stream from it), so results repeat.
    min_cases : int, default 2
        Fewest cases with a balance each group needs for a verdict.
    working, lacking : float, default 0.2, -0.2
        Thresholds of the descriptive states, in [-1, 1], ``lacking < working``.
    quotes : int, default 2
        Typical and disconfirming quotes per group and factor (up to this many of each).

    Returns
    -------
    DataFrame
        One row per factor with the columns of :data:`THESIS_COLUMNS`: ``factor``,
        ``group_a``, ``group_b``, ``cases_a``, ``cases_b``, ``balance_a``, ``balance_b``,
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``verdict``, ``state_a``,
        ``state_b``, ``agrees_with_hypothesis``, ``supports_hypothesis`` (nullable
        booleans), ``loo_runs``, ``loo_holds``, ``loo_flips`` (tuple of case names),
        ``stability``, ``quotes_a``, ``quotes_b``, ``disconfirming_a``, ``disconfirming_b``
        (tuples of formatted quotes). Groups without a case with a balance have nan means,
        announced with a RuntimeWarning.

    See Also
    --------
    hypothesis_sensitivity : the verdicts under other settings.

    Examples
    --------
    Three informants in each group, every one positive in ``north`` and negative in
    ``south``: every resample gives a difference of 2, so the interval is [2, 2]:

    >>> from uppks_qual.schema import codings_frame
    >>> people = {"north": ["Ani", "Budi", "Citra"], "south": ["Dedi", "Eka", "Fitri"]}
    >>> df = codings_frame([
    ...     {"group": g, "informant": who, "doc_id": f"{g}-{who}", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": "positive" if g == "north" else "negative"}
    ...     for g, names in people.items() for who in names])
    >>> row = thesis_comparison(df, a="north", b="south").iloc[0]
    >>> float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    (2.0, 2.0, 2.0)
    >>> row["verdict"], row["state_a"], row["state_b"]
    ('supports', 'working', 'lacking')
    >>> print(row["stability"])
    direction holds in all 6 leave-one-case-out runs

    The permutation p is exact here: of the 20 ways to split six cases into two groups of
    three, the observed split and its mirror image are as extreme, so p = 2/20:

    >>> float(row["p_value"])
    0.1
    """
    func = "thesis_comparison"
    validate_codings(df)
    _check_thresholds(func, working, lacking)
    _check_pair(func, df, "group", a, b)
    col = _case_of(func, df, case)
    factors = _factors(df, factors)
    balances = _balances(df, a=a, b=b, factors=factors, case=case, min_valenced=1)
    rows = []
    for factor in factors:
        x_a, x_b = balances.get((a, factor), _EMPTY), balances.get((b, factor), _EMPTY)
        stats = _test(x_a, x_b, factor=factor, confidence=confidence, n_resamples=n_resamples,
                      seed=seed, min_cases=min_cases)
        runs, holds, flips, reverses = _leave_one_out(x_a, x_b, stats["difference"])
        if stats["verdict"] == INSUFFICIENT:
            runs, holds, flips = 0, 0, ()
        rows.append({"factor": factor, "group_a": a, "group_b": b, **stats,
                     "state_a": _state(stats["balance_a"], len(x_a), working=working,
                                       lacking=lacking, min_cases=min_cases),
                     "state_b": _state(stats["balance_b"], len(x_b), working=working,
                                       lacking=lacking, min_cases=min_cases),
                     "loo_runs": runs, "loo_holds": holds, "loo_flips": flips,
                     "stability": _stability(stats["verdict"], stats["difference"], runs, holds,
                                             flips, reverses)})
    return _thesis_frame(rows, df, a=a, b=b, factors=factors, col=col, quotes=quotes)


def _thesis_frame(rows: list[dict[str, Any]], df: pd.DataFrame, *, a: Any, b: Any,
                  factors: list[str], col: str, quotes: int) -> pd.DataFrame:
    """The rows of :func:`thesis_comparison` as a frame with its columns, in order."""
    out = pd.DataFrame(rows, columns=[c for c in THESIS_COLUMNS if c not in (
        "agrees_with_hypothesis", "supports_hypothesis", "quotes_a", "quotes_b",
        "disconfirming_a", "disconfirming_b")])
    undefined = int(out["balance_a"].isna().sum() + out["balance_b"].isna().sum())
    if undefined:
        _warn(f"balance is undefined for {undefined} factor x group cell(s) (no case with "
              "positive or negative codings); returning nan", RuntimeWarning)
    decided = out["verdict"].ne(INSUFFICIENT)
    out["agrees_with_hypothesis"] = pd.array(
        [bool(d > 0) if ok else pd.NA for d, ok in zip(out["difference"], decided, strict=True)],
        dtype="boolean")
    out["supports_hypothesis"] = pd.array(
        [v == "supports" if ok else pd.NA for v, ok in zip(out["verdict"], decided, strict=True)],
        dtype="boolean")
    for name, values in _quote_columns(df, a=a, b=b, factors=factors, col=col,
                                       quotes=quotes).items():
        out[name] = values
    for name in ("cases_a", "cases_b", "loo_runs", "loo_holds"):
        out[name] = out[name].astype("int64")
    out["factor"] = pd.Categorical(out["factor"], categories=list(dict.fromkeys(factors)))
    return out[list(THESIS_COLUMNS)]


def check_hypothesis(df: pd.DataFrame, hypothesis: Hypothesis, *,
                     factors_all: Sequence[str] | None = None, **options: Any) -> pd.DataFrame:
    """:func:`thesis_comparison` for a study manifest's hypothesis.

    The groups come from ``hypothesis.better`` (``a``) and ``hypothesis.worse`` (``b``); the
    factors from ``hypothesis.factors``, or, when the manifest says ``factors: all`` (an empty
    tuple), from ``factors_all`` (e.g. ``[c.code_id for c in codebook.factors()]``; default
    the factors with codings).

    Parameters
    ----------
    df : DataFrame
        Codings frame (``project.evidence()``).
    hypothesis : uppks_qual.manifest.Hypothesis
        What the study claims (``manifest.hypothesis``).
    factors_all : sequence of str, optional
        The factors "all" means.
    **options
        Passed to :func:`thesis_comparison` (``case``, ``confidence``, ``n_resamples``,
        ``seed``, ``min_cases``, ``working``, ``lacking``, ``quotes``).

    Returns
    -------
    DataFrame
        As :func:`thesis_comparison`.

    Examples
    --------
    >>> from uppks_qual.manifest import Hypothesis
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"group": g, "informant": f"{g}{i}", "doc_id": f"{g}{i}", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": v}
    ...     for g, v in (("north", "positive"), ("south", "negative")) for i in range(3)])
    >>> claim = Hypothesis(better="north", worse="south", statement="North leads better.")
    >>> check_hypothesis(df, claim, quotes=0)[["factor", "verdict"]]
           factor   verdict
    0  leadership  supports
    """
    func = "check_hypothesis"
    check_param(hypothesis, InstanceOf(Hypothesis, what="a uppks_qual.manifest.Hypothesis"),
                name="hypothesis", func=func)
    taken = sorted({"a", "b", "factors"} & set(options))
    if taken:
        raise ParameterError(
            f"The options of {func} are passed to thesis_comparison, except the groups and the "
            f"factors, which come from the hypothesis. Got {', '.join(map(repr, taken))} "
            "instead.", parameter=taken[0], function=func)
    factors = list(hypothesis.factors) or (list(factors_all) if factors_all is not None
                                           else None)
    return thesis_comparison(df, a=hypothesis.better, b=hypothesis.worse, factors=factors,
                             **options)


# --------------------------------------------------------------------------------------
# Sensitivity of the verdicts to the settings
# --------------------------------------------------------------------------------------


def _check_grid(func: str, df: pd.DataFrame, confidences: Sequence[float],
                min_valenced: Sequence[int], cases: Sequence[str]) -> None:
    """Each setting of the grid is one the single-run function would accept."""
    for name, values, constraint in (
            ("confidences", confidences, Interval(float, 0, 1, closed="neither")),
            ("min_valenced", min_valenced, Interval(int, 1, None)),
            ("cases", cases, None)):
        check_param(values, InstanceOf(list, tuple, what="a list or tuple"), name=name,
                    func=func)
        for value in values:
            if constraint is None:
                _case_of(func, df, value)
            else:
                check_param(value, constraint, name=name, func=func)


@validate_params({
    "seed": _SHARED["seed"], "n_resamples": _SHARED["n_resamples"],
    "min_cases": _SHARED["min_cases"],
})
def hypothesis_sensitivity(
    df: pd.DataFrame,
    *,
    a: Any,
    b: Any,
    factors: Sequence[str] | None = None,
    confidences: Sequence[float] = (0.9, 0.95, 0.99),
    min_valenced: Sequence[int] = (1, 2, 3),
    cases: Sequence[str] = ("informant", "doc_id"),
    seed: int = 0,
    n_resamples: int = 1999,
    min_cases: int = 2,
) -> pd.DataFrame:
    """The verdicts of :func:`thesis_comparison` over a grid of settings.

    Each setting re-runs the case-level test of each factor with:

    - ``confidence``: the level of the bootstrap interval (a higher level gives a wider
      interval, so "supports" and "contradicts" need a clearer difference);
    - ``min_valenced``: a case takes part only if it has at least this many positive or
      negative codings of the factor (1 is :func:`thesis_comparison`; higher values leave
      out cases that mention a factor in passing);
    - ``case``: what a case is, a person (``"informant"``) or a document (``"doc_id"``; an
      interview with two speakers is then one case).

    How to read it: a verdict that stays the same across the grid does not hang on a choice
    of the analyst. One that changes shows which choice it hangs on; "supports" only at
    90% is a weak difference, "insufficient evidence" at a higher ``min_valenced`` means the
    evidence rests on cases that say little. The bootstrap of each factor is seeded as in
    :func:`thesis_comparison` (the same resamples at every level), so with the same
    ``n_resamples`` the row (0.95, 1, "informant") is that function's result, and the
    intervals of one factor and setting are nested across levels. No p value is computed.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    a, b, factors, seed, min_cases
        As in :func:`thesis_comparison`.
    confidences : sequence of float, default (0.9, 0.95, 0.99)
        Interval levels, each in (0, 1).
    min_valenced : sequence of int, default (1, 2, 3)
        Fewest positive or negative codings of a factor for a case to count, each >= 1.
    cases : sequence of str, default ("informant", "doc_id")
        What a case is (see ``case`` of :func:`thesis_comparison`).
    n_resamples : int, default 1999
        Bootstrap resamples per setting and factor (fewer than :func:`thesis_comparison`'s
        9999, as the grid runs many).

    Returns
    -------
    DataFrame
        One row per factor x case x min_valenced x confidence (in that order), columns
        :data:`SENSITIVITY_COLUMNS`: ``factor``, ``confidence``, ``min_valenced``, ``case``,
        ``difference``, ``ci_low``, ``ci_high``, ``verdict``.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"group": g, "informant": f"{g}{i}", "doc_id": f"{g}{i}", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": v}
    ...     for g, v in (("north", "positive"), ("south", "negative")) for i in range(3)])
    >>> grid = hypothesis_sensitivity(df, a="north", b="south")
    >>> grid.shape
    (18, 8)
    >>> sorted(set(zip(grid["min_valenced"].tolist(), grid["verdict"].tolist())))
    [(1, 'supports'), (2, 'insufficient evidence'), (3, 'insufficient evidence')]
    """
    func = "hypothesis_sensitivity"
    validate_codings(df)
    _check_pair(func, df, "group", a, b)
    _check_grid(func, df, confidences, min_valenced, cases)
    factors = _factors(df, factors)
    balances = {(c, m): _balances(df, a=a, b=b, factors=factors, case=c, min_valenced=m)
                for c in cases for m in min_valenced}
    rows = []
    for factor in factors:
        for (c, m), table in balances.items():
            x_a, x_b = table.get((a, factor), _EMPTY), table.get((b, factor), _EMPTY)
            for level in confidences:
                stats = _test(x_a, x_b, factor=factor, confidence=level, seed=seed,
                              n_resamples=n_resamples, min_cases=min_cases, with_p=False)
                rows.append({"factor": factor, "confidence": float(level), "min_valenced": m,
                             "case": c, **{k: stats[k] for k in SENSITIVITY_COLUMNS[4:]}})
    out = pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
    out["factor"] = pd.Categorical(out["factor"], categories=list(dict.fromkeys(factors)))
    return out.astype({"min_valenced": "int64", "confidence": "float64"})
