"""Inter-coder agreement statistics: pure functions, numbers in, numbers out.

Every function here takes labels, counts or tables and returns a number (or a small frozen
record); none reads files, prints or touches the project store. The project-level agreement
(which codings count as units, segments or characters) is built on top of these elsewhere.

Where a well-kept implementation exists it is wrapped: scikit-learn's ``cohen_kappa_score``
for :func:`cohen_kappa`, statsmodels' ``fleiss_kappa`` for :func:`fleiss_kappa` and the
``krippendorff`` package's ``alpha`` for :func:`krippendorff_alpha`.

Undefined values (empty input, no variation, so that chance agreement is already perfect) emit
a :class:`RuntimeWarning` and return ``nan``, like scikit-learn. A bad option (``weights=``,
``level=``, ``confidence=``) raises :class:`~uppks_qual.errors.ParameterError` (checked by
:mod:`uppks_qual.params`); data that cannot be right (different lengths, negative counts, a
table of the wrong shape) raise :class:`~uppks_qual.errors.AgreementError`.

References
----------
.. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
   Psychological Measurement*, 20(1), 37-46.
.. [2] Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of
   kappa and weighted kappa. *Psychological Bulletin*, 72(5), 323-327.
.. [3] Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
   *Psychological Bulletin*, 76(5), 378-382.
.. [4] Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
   for Communication, University of Pennsylvania.
.. [5] Holsti, O. R. (1969). *Content Analysis for the Social Sciences and Humanities*.
   Addison-Wesley.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import AgreementError, warn
from .params import Interval, Options, validate_params

__all__ = [
    "KAPPA_WEIGHTS",
    "LEVELS",
    "CharacterAgreement",
    "KappaResult",
    "character_agreement",
    "cohen_kappa",
    "cohen_kappa_ci",
    "cohen_kappa_table",
    "fleiss_kappa",
    "holsti",
    "krippendorff_alpha",
    "percent_agreement",
]

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
"""Levels of measurement accepted by :func:`krippendorff_alpha`."""

KAPPA_WEIGHTS: tuple[str | None, ...] = (None, "linear", "quadratic")
"""Weightings accepted by :func:`cohen_kappa`."""

Level = Literal["nominal", "ordinal", "interval", "ratio"]
ArrayData: TypeAlias = ArrayLike | Sequence[Any]
"""Labels, counts or a table: a list (``None`` for missing), an array, a Series or DataFrame."""
FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KappaResult:
    """Cohen's kappa with its asymptotic standard error and confidence interval.

    Attributes
    ----------
    kappa : float
        Cohen's (unweighted) kappa.
    se : float
        Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969, not under the
        null hypothesis), the "ASE" SAS PROC FREQ and statsmodels report.
    ci_low, ci_high : float
        Wald interval ``kappa -/+ z * se``; not clipped to ``[-1, 1]``.
    n : int
        Units coded by both coders.
    observed : float
        Observed agreement ``p_o`` (share of units on the diagonal).
    expected : float
        Agreement expected by chance ``p_e`` from the two coders' marginals.
    """

    kappa: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    observed: float
    expected: float


@dataclass(frozen=True, slots=True)
class CharacterAgreement:
    """Agreement of two coders on one code over the characters of one source (NVivo-style).

    Attributes
    ----------
    both, only1, only2, neither : float
        Characters coded by both coders, by coder 1 only, by coder 2 only, by neither.
    n : float
        All characters: ``both + only1 + only2 + neither``.
    percent_agreement : float
        ``(both + neither) / n``, a share in ``[0, 1]`` (NVivo shows it times 100).
    kappa : float
        Cohen's kappa of the 2 x 2 table ``[[both, only1], [only2, neither]]``.
    """

    both: float
    only1: float
    only2: float
    neither: float
    n: float
    percent_agreement: float
    kappa: float


# --------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------


def _undefined(statistic: str, reason: str) -> float:
    """Warn (at the user's line) that ``statistic`` is undefined because of ``reason`` and
    return NaN."""
    warn(f"{statistic} is undefined: {reason}; returning nan", RuntimeWarning)
    return math.nan


def _missing(values: NDArray[Any]) -> NDArray[np.bool_]:
    """Mask of missing entries: ``None``, NaN, ``pd.NA``, ``NaT``."""
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def _labels_1d(y: ArrayData, name: str, func: str) -> NDArray[Any]:
    """``y`` as a 1-D object array, or an :class:`AgreementError` naming the argument."""
    arr = np.asarray(y, dtype=object)
    if arr.ndim != 1:
        raise AgreementError(
            f"{func}: {name} must be one label per unit (1-D); got an array of shape {arr.shape}",
            parameter=name,
        )
    return arr


def _paired(y1: ArrayData, y2: ArrayData, func: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """The two coders' labels for the units both of them coded (missing pairs dropped)."""
    a, b = _labels_1d(y1, "y1", func), _labels_1d(y2, "y2", func)
    if a.shape != b.shape:
        raise AgreementError(
            f"{func}: y1 and y2 must label the same units; got {a.size} and {b.size} labels",
            n1=a.size,
            n2=b.size,
        )
    keep = ~(_missing(a) | _missing(b))
    return a[keep], b[keep]


def _categories(*label_arrays: NDArray[Any]) -> list[Any]:
    """The distinct labels, sorted when they can be, else in order of first appearance."""
    seen = list(dict.fromkeys(v for arr in label_arrays for v in arr.tolist()))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _check_homogeneous(labels: Sequence[Any], func: str) -> None:
    """Refuse a mix of string and non-string labels (``1`` and ``"1"`` would be confused)."""
    kinds = {isinstance(v, str) for v in labels}
    if len(kinds) > 1:
        raise AgreementError(
            f"{func}: labels mix strings and numbers ({list(labels)[:6]!r}); "
            "use one type for every label",
        )


def _counts(table: ArrayData, func: str, *, square: bool) -> FloatArray:
    """A 2-D table of non-negative finite counts (square when ``square``)."""
    try:
        t = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError(f"{func}: table must hold numbers (counts); {exc}") from None
    if t.ndim != 2 or (square and t.shape[0] != t.shape[1]):
        need = "a square k x k" if square else "a 2-D"
        raise AgreementError(f"{func}: table must be {need} table; got shape {t.shape}")
    bad = np.argwhere(~np.isfinite(t) | (t < 0))
    if bad.size:
        i, j = bad[0]
        raise AgreementError(
            f"{func}: table counts must be finite and >= 0; got {float(t[i, j])!r} at row {i}, column {j}"
        )
    return t


def _nonnegative(func: str, **counts: float) -> None:
    """Raise unless every keyword is a finite real number >= 0."""
    for name, value in counts.items():
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise AgreementError(
                f"{func}: {name} must be a count >= 0; got {value!r}", parameter=name, value=value
            )


# --------------------------------------------------------------------------------------
# Two coders
# --------------------------------------------------------------------------------------


def percent_agreement(y1: ArrayData, y2: ArrayData) -> float:
    """Share of units on which two coders gave the same label.

    Units that either coder left missing (``None`` or NaN) are dropped first.

    Parameters
    ----------
    y1, y2 : array-like of shape (n_units,)
        The labels coder 1 and coder 2 gave each unit, in the same unit order.

    Returns
    -------
    float
        Agreement in ``[0, 1]``; NaN (with a :class:`RuntimeWarning`) when no unit was coded
        by both.

    Raises
    ------
    AgreementError
        If ``y1`` and ``y2`` have different lengths.

    Examples
    --------
    >>> percent_agreement(["a", "b", "b", None], ["a", "b", "a", "a"])
    0.6666666666666666
    """
    a, b = _paired(y1, y2, "percent_agreement")
    if a.size == 0:
        return _undefined("percent_agreement", "no unit was coded by both coders")
    same = [u == v for u, v in zip(a.tolist(), b.tolist(), strict=True)]
    return float(np.mean(same))


@validate_params({"weights": [Options(*KAPPA_WEIGHTS)]})
def cohen_kappa(
    y1: ArrayData, y2: ArrayData, *, weights: Literal["linear", "quadratic"] | None = None
) -> float:
    """Cohen's kappa between two coders, optionally weighted.

    A wrapper of :func:`sklearn.metrics.cohen_kappa_score` that drops units either coder left
    missing, returns a plain ``float`` and warns (``RuntimeWarning``) instead of computing
    ``0/0`` when kappa is undefined.

    Parameters
    ----------
    y1, y2 : array-like of shape (n_units,)
        The labels coder 1 and coder 2 gave each unit, in the same unit order; ``None`` or
        NaN marks a unit a coder did not code.
    weights : {None, 'linear', 'quadratic'}, default None
        Disagreement weights. As in scikit-learn, the weight between two categories is
        computed from their *positions* in the sorted list of observed categories, not their
        numeric distance.

    Returns
    -------
    float
        Kappa in ``[-1, 1]``; NaN with a warning if no unit was coded by both or both coders
        used one and the same single category (chance agreement is then perfect).

    Raises
    ------
    AgreementError
        If the inputs differ in length or mix string and numeric labels.
    ParameterError
        If ``weights`` is not one of the allowed values.

    Examples
    --------
    >>> round(cohen_kappa([1, 1, 2, 2, 3], [1, 2, 2, 2, 3]), 4)
    0.6875
    >>> round(cohen_kappa([1, 1, 2, 2, 3], [1, 2, 2, 2, 3], weights="linear"), 4)
    0.7368
    """
    a, b = _paired(y1, y2, "cohen_kappa")
    if a.size == 0:
        return _undefined("cohen_kappa", "no unit was coded by both coders")
    labels = _categories(a, b)
    _check_homogeneous(labels, "cohen_kappa")
    if len(labels) < 2:
        return _undefined("cohen_kappa", f"both coders used only the category {labels[0]!r}")
    from sklearn.metrics import cohen_kappa_score

    a_, b_ = np.asarray(a.tolist()), np.asarray(b.tolist())
    return float(cohen_kappa_score(a_, b_, labels=np.asarray(labels), weights=weights))


def _table_agreement(t: FloatArray) -> tuple[float, float, float]:
    """Total ``n``, observed ``p_o`` and chance ``p_e`` agreement of a square count table."""
    n = float(t.sum())
    if n == 0:
        return 0.0, math.nan, math.nan
    p = t / n
    return n, float(np.trace(p)), float(p.sum(axis=1) @ p.sum(axis=0))


def _kappa_undefined_reason(n: float, expected: float) -> str | None:
    """Why kappa is undefined for this table, or ``None`` if it is defined."""
    if n == 0:
        return "the table is empty (no unit was coded by both coders)"
    if expected >= 1.0 - 1e-12:
        return "both coders used only one and the same category (chance agreement is 1)"
    return None


def cohen_kappa_table(table: ArrayData) -> float:
    """Cohen's kappa from a k x k contingency table of two coders' labels.

    Parameters
    ----------
    table : array-like of shape (k, k)
        ``table[i, j]`` counts units coder 1 put in category ``i`` and coder 2 in category
        ``j`` (rows: coder 1, columns: coder 2). Counts may be non-integer (seconds, pixels).

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)``; NaN with a :class:`RuntimeWarning` for an empty table or
        one where all units fall in one and the same category.

    Raises
    ------
    AgreementError
        If the table is not square, or has negative or non-finite counts.

    Examples
    --------
    Artstein & Poesio's (2008) two-category example: observed agreement 0.70, chance 0.54.

    >>> round(cohen_kappa_table([[20, 20], [10, 50]]), 4)
    0.3478
    """
    t = _counts(table, "cohen_kappa_table", square=True)
    n, observed, expected = _table_agreement(t)
    reason = _kappa_undefined_reason(n, expected)
    if reason is not None:
        return _undefined("cohen_kappa_table", reason)
    return (observed - expected) / (1.0 - expected)


def _crosstab(a: NDArray[Any], b: NDArray[Any]) -> FloatArray:
    """The k x k table of paired labels (rows ``a``, columns ``b``)."""
    labels = _categories(a, b)
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    rows = [index[v] for v in a.tolist()]
    cols = [index[v] for v in b.tolist()]
    np.add.at(table, (rows, cols), 1.0)
    return table


def _kappa_se(t: FloatArray, kappa: float, expected: float) -> float:
    """Fleiss, Cohen & Everitt (1969) large-sample standard error of unweighted kappa."""
    n = t.sum()
    p = t / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    diagonal = np.diag(p) * (1.0 - (rows + cols) * (1.0 - kappa)) ** 2
    off = p * (cols[:, None] + rows[None, :]) ** 2
    np.fill_diagonal(off, 0.0)
    bias = (kappa - expected * (1.0 - kappa)) ** 2
    var = (diagonal.sum() + (1.0 - kappa) ** 2 * off.sum() - bias) / ((1.0 - expected) ** 2 * n)
    return math.sqrt(max(float(var), 0.0))


@validate_params({"confidence": [Interval(float, 0, 1, closed="neither")]})
def cohen_kappa_ci(y1: ArrayData, y2: ArrayData, *, confidence: float = 0.95) -> KappaResult:
    """Cohen's kappa with its large-sample standard error and a Wald confidence interval.

    The standard error is the asymptotic (non-null) one of Fleiss, Cohen & Everitt (1969),
    which corrects the simpler Cohen (1960) formula; it is the "ASE" of SAS PROC FREQ and
    ``std_kappa`` of :func:`statsmodels.stats.inter_rater.cohens_kappa`. The interval is
    ``kappa -/+ z * se`` with ``z`` the normal quantile for ``confidence``.

    Parameters
    ----------
    y1, y2 : array-like of shape (n_units,)
        The labels coder 1 and coder 2 gave each unit; units either left missing are dropped.
    confidence : float, default 0.95
        Coverage of the interval, strictly between 0 and 1.

    Returns
    -------
    KappaResult
        ``kappa, se, ci_low, ci_high, n, observed, expected``. When kappa is undefined (no
        unit, or one single shared category) it warns and every statistic but ``n`` (and
        ``observed``/``expected`` when they exist) is NaN.

    Raises
    ------
    AgreementError
        If the inputs differ in length.
    ParameterError
        If ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> res = cohen_kappa_ci([1, 1, 2, 2, 2, 1, 2, 2], [1, 2, 2, 2, 2, 1, 1, 2])
    >>> round(res.kappa, 4), round(res.se, 4), res.n
    (0.4667, 0.3227, 8)
    """
    a, b = _paired(y1, y2, "cohen_kappa_ci")
    _check_homogeneous(_categories(a, b), "cohen_kappa_ci")
    t = _crosstab(a, b)
    n, observed, expected = _table_agreement(t)
    reason = _kappa_undefined_reason(n, expected)
    if reason is not None:
        nan = _undefined("cohen_kappa_ci", reason)
        return KappaResult(nan, nan, nan, nan, int(n), observed, expected)
    kappa = (observed - expected) / (1.0 - expected)
    se = _kappa_se(t, kappa, expected)
    z = NormalDist().inv_cdf(0.5 + float(confidence) / 2.0)
    return KappaResult(kappa, se, kappa - z * se, kappa + z * se, int(n), observed, expected)


def holsti(n_agree: float, n1: float, n2: float) -> float:
    """Holsti's (1969) coefficient of reliability, ``CR = 2M / (N1 + N2)``.

    Parameters
    ----------
    n_agree : float
        ``M``, the coding decisions on which the two coders agree.
    n1, n2 : float
        ``N1``, ``N2``: the coding decisions each coder made.

    Returns
    -------
    float
        CR in ``[0, 1]``; NaN with a :class:`RuntimeWarning` when ``n1 + n2 == 0``.

    Raises
    ------
    AgreementError
        If a count is negative or ``n_agree`` exceeds ``n1`` or ``n2``.

    Examples
    --------
    >>> holsti(8, 10, 12)
    0.7272727272727273
    """
    _nonnegative("holsti", n_agree=n_agree, n1=n1, n2=n2)
    if n_agree > min(n1, n2):
        raise AgreementError(
            f"holsti: n_agree ({n_agree}) cannot exceed the decisions of either coder "
            f"(n1={n1}, n2={n2})",
            n_agree=n_agree,
            n1=n1,
            n2=n2,
        )
    if n1 + n2 == 0:
        return _undefined("holsti", "neither coder made a coding decision (n1 + n2 == 0)")
    return 2.0 * n_agree / (n1 + n2)


def character_agreement(
    both: float, only1: float, only2: float, neither: float
) -> CharacterAgreement:
    """Percent agreement and kappa of two coders over characters (NVivo's coding comparison).

    Every character of a source is a unit with two yes/no judgements (coded at the code or
    not), giving the 2 x 2 table ``[[both, only1], [only2, neither]]``. Percent agreement is
    ``(both + neither) / n`` and kappa is Cohen's kappa of that table, which is NVivo's
    ``(TA - sum EF) / (TU - sum EF)``. The same works for seconds of audio or pixels.

    Parameters
    ----------
    both, only1, only2, neither : float
        Characters coded by both coders, by coder 1 only, by coder 2 only, and by neither.

    Returns
    -------
    CharacterAgreement
        The four counts, their total ``n``, ``percent_agreement`` (a share in ``[0, 1]``) and
        ``kappa``. An empty source gives NaN for both statistics; a source nobody coded gives
        percent agreement 1 and kappa NaN (chance agreement is perfect), each with a
        :class:`RuntimeWarning`.

    Raises
    ------
    AgreementError
        If a count is negative or not a finite number.

    Examples
    --------
    NVivo's documented example: 1000 characters, 50 coded by both, 150 by one coder only
    (here 100 by coder 1, 50 by coder 2), 800 by neither.

    >>> res = character_agreement(50, 100, 50, 800)
    >>> res.percent_agreement, round(res.kappa, 4)
    (0.85, 0.3182)
    """
    _nonnegative("character_agreement", both=both, only1=only1, only2=only2, neither=neither)
    n = both + only1 + only2 + neither
    if n == 0:
        nan = _undefined("character_agreement", "the source has no characters")
        return CharacterAgreement(both, only1, only2, neither, n, nan, nan)
    kappa = cohen_kappa_table([[both, only1], [only2, neither]])
    return CharacterAgreement(both, only1, only2, neither, n, (both + neither) / n, kappa)


# --------------------------------------------------------------------------------------
# Many raters
# --------------------------------------------------------------------------------------


def fleiss_kappa(table: ArrayData) -> float:
    """Fleiss' (1971) kappa for a fixed number of raters per subject.

    A wrapper of :func:`statsmodels.stats.inter_rater.fleiss_kappa` (``method='fleiss'``) that
    checks the table first and warns instead of dividing by zero.

    Parameters
    ----------
    table : array-like of shape (n_subjects, n_categories)
        ``table[i, j]`` is how many raters put subject ``i`` in category ``j``; every row
        must add up to the same number of raters (at least 2).

    Returns
    -------
    float
        Fleiss' kappa; NaN with a :class:`RuntimeWarning` when the table has no subjects or
        every rating falls in one category.

    Raises
    ------
    AgreementError
        If counts are negative or not whole numbers, or rows have different numbers of
        raters, or fewer than two.

    Examples
    --------
    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1], [1, 2]]), 4)
    0.3333
    """
    t = _counts(table, "fleiss_kappa", square=False)
    if t.size == 0 or t.sum() == 0:
        return _undefined("fleiss_kappa", "the table has no ratings")
    if not np.all(t == np.round(t)):
        raise AgreementError("fleiss_kappa: table must hold whole numbers of raters")
    raters = t.sum(axis=1)
    if np.any(raters != raters[0]) or raters[0] < 2:
        raise AgreementError(
            "fleiss_kappa: every subject must be rated by the same number (>= 2) of raters; "
            f"got row totals {sorted(set(raters.astype(int).tolist()))}",
        )
    if np.count_nonzero(t.sum(axis=0)) < 2:
        return _undefined("fleiss_kappa", "every rating falls in one category")
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    return float(sm_fleiss_kappa(t, method="fleiss"))


# --------------------------------------------------------------------------------------
# Krippendorff's alpha (the ``krippendorff`` package; Krippendorff 2011)
# --------------------------------------------------------------------------------------


def _reliability_matrix(data: ArrayData) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    """The coders x units object array and its mask of present (non-missing) values."""
    arr = np.asarray(data, dtype=object)
    if arr.ndim != 2:
        raise AgreementError(
            "krippendorff_alpha: reliability_data must be a 2-D coders x units table (rows of "
            f"equal length); got an array of shape {arr.shape}"
        )
    return arr, ~_missing(arr)


def _as_number(value: Any, level: str, where: tuple[int, int]) -> float:
    """A value of a non-nominal variable as a float (numeric strings allowed)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or (level == "ratio" and number < 0):
        need = "numbers >= 0" if level == "ratio" else "numbers or numeric strings"
        raise AgreementError(
            f"krippendorff_alpha: level={level!r} needs {need}; got {value!r} "
            f"(coder {where[0]}, unit {where[1]}). Use level='nominal' for labels, or map "
            "ordered labels to numbers first",
            level=level,
            value=value,
        )
    return number


def _encode(arr: NDArray[Any], present: NDArray[np.bool_], level: str) -> FloatArray:
    """The coders x units data as floats, NaN where missing, as the package reads them.

    Kept here because ``krippendorff.alpha`` reads only numeric or all-string arrays with NaN
    for a missing value: a list holding ``None`` (an object array) is refused, NaN among
    strings becomes the label ``"nan"``, ``1`` and ``"1"`` are silently merged into one
    label, metric levels get no check that values are numbers (or, for ratio, ``>= 0``).
    Nominal labels become their position among the sorted labels (only equality matters);
    the other levels need numbers (numeric strings such as ``"3"`` are read as numbers).
    """
    coders, units = np.nonzero(present)
    values = arr[coders, units]
    if level == "nominal":
        labels = _categories(values)
        _check_homogeneous(labels, "krippendorff_alpha")
        index = {label: i for i, label in enumerate(labels)}
        numbers_ = [float(index[v]) for v in values.tolist()]
    else:
        numbers_ = [_as_number(v, level, (int(c), int(u)))
                    for v, c, u in zip(values.tolist(), coders, units, strict=True)]
    out = np.full(arr.shape, np.nan)
    out[coders, units] = numbers_
    return out


def _alpha_undefined_reason(data: FloatArray) -> str | None:
    """Why alpha is undefined for ``data`` (coders x units, NaN missing), or ``None``.

    Kept here because the package raises a ``ValueError`` (no pairable unit, one value in
    the domain) or returns NaN with a numpy warning (one value among the pairable ones) where
    this module warns and returns NaN.
    """
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    if pairable.size == 0:
        return "no unit has two or more values"
    if np.unique(pairable[~np.isnan(pairable)]).size < 2:
        return "all pairable values are equal"
    return None


@validate_params({"level": [Options(*LEVELS)]})
def krippendorff_alpha(reliability_data: ArrayData, *, level: Level = "nominal") -> float:
    """Krippendorff's alpha for any number of coders, with missing values.

    A wrapper of :func:`krippendorff.alpha` (the coincidence-matrix recipe of Krippendorff
    2011: only units with at least two values are pairable; each contributes its ordered
    value pairs weighted by ``1 / (m_u - 1)``; then ``alpha = 1 - D_o / D_e`` with the
    difference function of the level of measurement) that reads string labels and ``None``
    as missing, checks the values fit the level, and warns instead of failing when alpha is
    undefined.

    Parameters
    ----------
    reliability_data : array-like of shape (n_coders, n_units)
        One row per coder, one column per unit (a list of lists, an array or a DataFrame).
        ``None`` or NaN marks a value a coder did not give. Values may be numbers or, for
        the nominal level, strings; the other levels accept numeric strings such as ``"3"``.
    level : {'nominal', 'ordinal', 'interval', 'ratio'}, default 'nominal'
        Level of measurement. Ordinal uses the ranks of the values (their order), interval
        and ratio the values themselves; ratio needs values ``>= 0``.

    Returns
    -------
    float
        Alpha (1 is perfect reliability, 0 chance level); NaN with a :class:`RuntimeWarning`
        when no unit has two values or all pairable values are equal.

    Raises
    ------
    ParameterError
        If ``level`` is unknown.
    AgreementError
        If the data are not a coders x units table, mix string and numeric labels, or a
        non-nominal level gets a value that is not a number (or is negative, for ratio).

    Examples
    --------
    Krippendorff's (2011) example: 4 observers, 12 units, with missing values.

    >>> nan = None
    >>> data = [
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ... ]
    >>> round(krippendorff_alpha(data), 3), round(krippendorff_alpha(data, level="interval"), 3)
    (0.743, 0.849)
    >>> krippendorff_alpha([["yes", "no", "no"], ["yes", "no", None]])
    1.0
    """
    import krippendorff

    arr, present = _reliability_matrix(reliability_data)
    data = _encode(arr, present, level)
    reason = _alpha_undefined_reason(data)
    if reason is not None:
        return _undefined("krippendorff_alpha", reason)
    alpha = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                               value_domain=np.unique(data[present]))
    return float(alpha)
