"""Reviewing automatic codings: the order suggestions are shown in, and the precision their
review shows (pure functions, frames in and out).

:meth:`uppks_qual.project.Project.suggest` draws automatic codings for a human to accept or
reject (:meth:`~uppks_qual.project.Project.review`), as screening tools for systematic reviews
do (ASReview): ``uncertain`` shows the suggestions the coder is least sure of first (the most
informative for the next fit), ``top`` the surest first, ``random`` a seeded random sample.
Only the random draws estimate how often the coder is right (:func:`review_summary`): the
other two pick suggestions by their confidence, so their share accepted is biased.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import warn

__all__ = ["STRATEGIES", "order_suggestions", "review_summary", "wilson_interval"]

#: How :meth:`Project.suggest` draws suggestions; ``direct`` marks a suggestion reviewed without
#: being drawn (its id taken from ``project.codings()``).
STRATEGIES: tuple[str, ...] = ("uncertain", "random", "top")
PRECISION_COLUMNS: tuple[str, ...] = ("factor", "n", "accepted", "correct", "precision",
                                      "ci_low", "ci_high")


def order_suggestions(frame: pd.DataFrame, strategy: str, n: int, *,
                      seed: int = 0) -> pd.DataFrame:
    """The first ``n`` suggestions of ``frame`` (in reading order) drawn by ``strategy``.

    ``"uncertain"``: confidence closest to 0.5 first; ``"top"``: highest confidence first (ties
    and missing confidences keep reading order, missing last); ``"random"``: a random sample
    of ``n`` (all when fewer), the same for the same ``seed`` and pool.

    Examples
    --------
    >>> df = pd.DataFrame({"suggestion_id": [1, 2, 3], "confidence": [0.9, 0.45, 0.7]})
    >>> order_suggestions(df, "uncertain", 2)["suggestion_id"].tolist()
    [2, 3]
    >>> order_suggestions(df, "top", 3)["suggestion_id"].tolist()
    [1, 3, 2]
    """
    if strategy == "random":
        order = np.random.default_rng(seed).permutation(len(frame))[:n]
        return frame.iloc[order].reset_index(drop=True)
    confidence = frame["confidence"].astype("float64")
    key = (confidence - 0.5).abs() if strategy == "uncertain" else -confidence
    order = np.argsort(key.fillna(np.inf).to_numpy(), kind="stable")[:n]
    return frame.iloc[order].reset_index(drop=True)


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n`` (NaN, NaN when ``n`` is 0).

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def review_summary(reviews: pd.DataFrame, factor_of: Mapping[str, str], *,
                   strategy: str = "random") -> dict[str, pd.DataFrame]:
    """The precision of the suggester estimated from the reviews of suggestions drawn with
    ``strategy``, overall and per factor, and the reviews made with each strategy.

    A suggestion is *correct* when the reviewer accepted it with a code of the suggested
    factor (a valence or sub-code corrected still counts; a code of another factor does not).

    Parameters
    ----------
    reviews : DataFrame
        Review decisions (``project.reviews()``): ``strategy, decision, suggested_code,
        code_id`` at least.
    factor_of : mapping
        Code id -> factor (``{c.code_id: c.factor for c in codebook}``); an unknown code is
        its own factor.
    strategy : str, default "random"
        Which draws to estimate from: only ``"random"`` draws give an unbiased estimate.

    Returns
    -------
    dict
        ``"precision"``: one row ``overall`` and one per suggested factor (``factor, n,
        accepted, correct, precision, ci_low, ci_high``; Wilson 95% interval, NaN when none
        was reviewed); ``"strategies"``: per strategy ``reviewed, accepted, rejected,
        corrected`` (accepted with another code or valence).
    """
    def factor(code: object) -> str | None:
        return None if not isinstance(code, str) else factor_of.get(code, code)

    drawn = reviews[reviews["strategy"] == strategy]
    if drawn.empty:
        warn(f"no suggestion drawn with strategy={strategy!r} has been reviewed, so the "
             "precision is NaN; draw some with project.suggest(strategy='random') and review "
             "them")
    suggested = drawn["suggested_code"].map(factor)
    accepted = drawn["decision"].eq("accepted")
    correct = accepted & drawn["code_id"].map(factor).eq(suggested)
    rows = [_precision_row("overall", accepted, correct)]
    for name in sorted(set(suggested)):
        mine = suggested.eq(name)
        rows.append(_precision_row(name, accepted[mine], correct[mine]))
    return {"precision": pd.DataFrame(rows, columns=list(PRECISION_COLUMNS)),
            "strategies": _strategy_counts(reviews)}


def _precision_row(name: str, accepted: pd.Series, correct: pd.Series) -> dict[str, object]:
    n, k = len(accepted), int(correct.sum())
    low, high = wilson_interval(k, n)
    return {"factor": name, "n": n, "accepted": int(accepted.sum()), "correct": k,
            "precision": k / n if n else math.nan, "ci_low": low, "ci_high": high}


def _strategy_counts(reviews: pd.DataFrame) -> pd.DataFrame:
    accepted = reviews["decision"].eq("accepted")
    corrected = accepted & (reviews["code_id"].ne(reviews["suggested_code"])
                            | reviews["valence"].fillna("").ne(
                                reviews["suggested_valence"].fillna("")))
    rows = []
    for name in (*STRATEGIES, "direct"):
        mine = reviews["strategy"].eq(name)
        rows.append({"strategy": name, "reviewed": int(mine.sum()),
                     "accepted": int((mine & accepted).sum()),
                     "rejected": int((mine & ~accepted).sum()),
                     "corrected": int((mine & corrected).sum())})
    return pd.DataFrame(rows, columns=["strategy", "reviewed", "accepted", "rejected",
                                       "corrected"])
