"""Measuring the automatic coder against a manual gold standard (pure functions).

The unit of evaluation is the gold *passage* (a span a human coded, possibly with no code).
For each passage, the set of factors the human applied is compared with the set of factors of
the automatic codings that overlap it (by at least half of the shorter span). Precision, recall
and F1 are computed per factor and micro-averaged over factors; valence accuracy is the share of
correctly found (passage, factor) pairs whose automatic valence equals the human one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import pandas as pd

__all__ = ["evaluate_autocoder", "passage_factors"]


def passage_factors(passages: pd.DataFrame, *,
                    factor_of: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """``{passage_id: {factor: valence}}`` from passage codings. ``factor_of`` maps code ids to
    their factor (``{c.code_id: c.factor for c in codebook}``); without it the factor is the
    id before the first dot. Several codes of one factor take the most common valence (ties:
    negative > positive > neutral, since a failing factor is the more specific finding)."""
    votes: dict[str, dict[str, Counter[str]]] = defaultdict(dict)
    for row in passages.itertuples():
        votes[row.passage_id]  # every passage exists, coded or not
        if row.code_id:
            code = str(row.code_id)
            factor = factor_of[code] if factor_of and code in factor_of else code.split(".")[0]
            votes[row.passage_id].setdefault(factor, Counter())[row.valence or "neutral"] += 1
    order = {"negative": 0, "positive": 1, "neutral": 2}
    return {pid: {f: min(c, key=lambda v: (-c[v], order.get(v, 3))) for f, c in fs.items()}
            for pid, fs in votes.items()}


def _predicted(passages: pd.DataFrame, auto: pd.DataFrame) -> dict[str, dict[str, str]]:
    spans = passages.drop_duplicates("passage_id")[["passage_id", "doc_id", "start", "end"]]
    out: dict[str, dict[str, str]] = {}
    by_doc = {d: g for d, g in auto.groupby("doc_id", observed=True)}
    for p in spans.itertuples():
        out[p.passage_id] = {}
        cand = by_doc.get(p.doc_id)
        if cand is None:
            continue
        overlap = (cand["end"].clip(upper=p.end) - cand["start"].clip(lower=p.start))
        shorter = (cand["end"] - cand["start"]).clip(upper=p.end - p.start)
        hits = cand[overlap >= 0.5 * shorter]
        for factor, group in hits.groupby("factor", observed=True):
            counts = Counter(group["valence"].astype(str))
            out[p.passage_id][str(factor)] = min(
                counts, key=lambda v: (-counts[v], {"negative": 0, "positive": 1}.get(v, 2)))
    return out


def evaluate_autocoder(passages: pd.DataFrame, auto: pd.DataFrame, *,
                       factors: Sequence[str],
                       factor_of: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Precision, recall, F1 and valence accuracy of automatic codings against gold passages.

    Parameters
    ----------
    passages : DataFrame
        Gold passage codings (:func:`uppks_qual.interop.csvio.read_codings_csv`, or
        ``project.read_codings(path)``).
    auto : DataFrame
        Automatic codings with ``doc_id, start, end, factor, valence`` (e.g.
        ``project.codings(origin="auto")``).
    factors : sequence of str
        The factors to score (others are ignored on both sides).
    factor_of : mapping, optional
        Code id -> factor, from the codebook (see :func:`passage_factors`).

    Returns
    -------
    DataFrame
        One row per factor plus ``micro``: ``gold, predicted, tp, precision, recall, f1,
        valence_n, valence_accuracy``.
    """
    gold, pred = passage_factors(passages, factor_of=factor_of), _predicted(passages, auto)
    rows = []
    for factor in factors:
        g = {p for p, fs in gold.items() if factor in fs}
        q = {p for p, fs in pred.items() if factor in fs}
        tp = g & q
        agree = sum(gold[p][factor] == pred[p][factor] for p in tp)
        rows.append(_scores(factor, len(g), len(q), len(tp), len(tp), agree))
    frame = pd.DataFrame(rows)
    total = frame[["gold", "predicted", "tp", "valence_n", "valence_agree"]].sum()
    rows.append(_scores("micro", *(int(total[c]) for c in
                                   ("gold", "predicted", "tp", "valence_n", "valence_agree"))))
    return pd.DataFrame(rows).drop(columns="valence_agree").set_index("factor")


def _scores(name: str, gold: int, predicted: int, tp: int, vn: int, vagree: int) -> dict:
    precision = tp / predicted if predicted else float("nan")
    recall = tp / gold if gold else float("nan")
    f1 = 2 * tp / (gold + predicted) if gold + predicted else float("nan")
    return {"factor": name, "gold": gold, "predicted": predicted, "tp": tp,
            "precision": precision, "recall": recall, "f1": f1, "valence_n": vn,
            "valence_agree": vagree, "valence_accuracy": vagree / vn if vn else float("nan")}
