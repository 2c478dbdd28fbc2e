"""Measuring the automatic coder against a manual gold standard (pure functions).

The unit of evaluation is the gold *passage* (a span a human coded, possibly with no code).
For each passage, the set of factors the human applied is compared with the set of factors of
the automatic codings that overlap it (by at least half of the shorter span). Precision, recall
and F1 are computed per factor and micro-averaged over factors; valence accuracy is the share of
correctly found (passage, factor) pairs whose automatic valence equals the human one.

:func:`evaluate_coder` measures a coder that learns (or not) the honest way: by
cross-validation grouped by document and across groups, every model fitted on the training
folds only, with intervals from a bootstrap over documents (the case is the unit, not the
sentence). A coder is any estimator with scikit-learn's ``fit``/``predict`` whose ``predict``
returns codings (``row, factor, valence``), such as :class:`uppks_qual.learn.CodeSuggester`
and :class:`uppks_qual.learn.RuleCoder`, or a ``GridSearchCV`` of one (the grid search then
runs inside each training fold: nested cross-validation).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import ParameterError
from .params import Interval, validate_params

__all__ = ["coder_f1", "evaluate_autocoder", "evaluate_coder", "passage_factors"]

#: Statistics counted per (passage, factor) by :func:`evaluate_coder`.
_STATS = ("gold", "predicted", "tp", "joint", "baseline")


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


# --------------------------------------------------------------------------- cross-validation
def _codes(predictions: pd.DataFrame, n: int) -> list[dict[str, str]]:
    """``{factor: valence}`` per passage from a coder's predictions (``row, factor,
    valence``)."""
    out: list[dict[str, str]] = [{} for _ in range(n)]
    for row, factor, valence in zip(predictions["row"], predictions["factor"],
                                    predictions["valence"], strict=True):
        out[int(row)][str(factor)] = str(valence)
    return out


def coder_f1(estimator: Any, X: pd.DataFrame, y: Sequence[Mapping[str, str]] | None = None
             ) -> float:
    """Micro-F1 of factor presence of ``estimator`` on the coded passages ``X`` (a scorer for
    ``GridSearchCV(scoring=coder_f1)``; the codes are ``X["codes"]`` unless ``y`` is given).

    Examples
    --------
    >>> class Always:                       # suggests "a" for every passage
    ...     factors_ = ("a", "b")
    ...     def predict(self, X):
    ...         return pd.DataFrame({"row": range(len(X)), "factor": "a", "valence": "positive"})
    >>> X = pd.DataFrame({"codes": [{"a": "positive"}, {"b": "negative"}, {}]})
    >>> round(coder_f1(Always(), X), 3)      # tp 1, gold 2, predicted 3: 2 * 1 / (2 + 3)
    0.4
    """
    gold = list(X["codes"] if y is None else y)
    pred = _codes(estimator.predict(X), len(gold))
    factors = set(getattr(estimator, "factors_", ())) or {f for g in gold for f in g}
    tp = sum(len(set(g) & set(p) & factors) for g, p in zip(gold, pred, strict=True))
    total = sum(len(set(g) & factors) + len(set(p) & factors)
                for g, p in zip(gold, pred, strict=True))
    return 2 * tp / total if total else float("nan")


def _splits(scheme: str, passages: pd.DataFrame, n_splits: int | None,
            group: str) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """``(test name, train positions, test positions)`` of a scheme."""
    from sklearn.model_selection import GroupKFold

    docs = passages["doc_id"].astype(str).to_numpy()
    if scheme == "document":
        k = len(set(docs)) if n_splits is None else min(n_splits, len(set(docs)))
        for train, test in GroupKFold(k).split(passages, groups=docs):
            yield "document", train, test
        return
    if group not in passages.columns:
        raise ParameterError(f"evaluate_coder: scheme 'group' needs a {group!r} column in "
                             "the passages", parameter="group", function="evaluate_coder",
                             value=group)
    labels = passages[group].fillna("").astype(str).to_numpy()
    named = [g for g in dict.fromkeys(labels) if g]
    if len(named) < 2:
        raise ParameterError(f"evaluate_coder: scheme 'group' needs two or more values of "
                             f"{group!r}; found {named}", parameter="group",
                             function="evaluate_coder", value=named)
    for g in named:  # passages without a group always train and are never tested
        yield g, np.flatnonzero(labels != g), np.flatnonzero(labels == g)


def _majority(labels: Sequence[Mapping[str, str]], factors: Sequence[str]) -> dict[str, str]:
    """Each factor's most common valence in the training passages (ties: alphabetical)."""
    out = {}
    for f in factors:
        counts = Counter(lab[f] for lab in labels if f in lab)
        out[f] = min(counts, key=lambda v: (-counts[v], v)) if counts else "neutral"
    return out


def _fold_counts(coder: Any, passages: pd.DataFrame, labels: Sequence[Mapping[str, str]],
                 train: np.ndarray, test: np.ndarray, factors: Sequence[str]) -> np.ndarray:
    """``(len(test), factors, stats)`` counts of a coder fitted on ``train``."""
    from sklearn.base import clone

    model = clone(coder).fit(passages.iloc[train])
    pred = _codes(model.predict(passages.iloc[test]), len(test))
    base = _majority([labels[i] for i in train], factors)
    out = np.zeros((len(test), len(factors), len(_STATS)))
    for k, i in enumerate(test):
        for j, f in enumerate(factors):
            g, p = labels[i].get(f), pred[k].get(f)
            hit = g is not None and p is not None
            out[k, j] = (g is not None, p is not None, hit, hit and g == p,
                         hit and g == base[f])
    return out


def _metrics(c: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1, joint F1 and valence accuracies from summed counts (last
    axis: :data:`_STATS`); NaN where undefined."""
    g, p, tp, joint, base = (c[..., i] for i in range(len(_STATS)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"precision": np.where(p > 0, tp / p, np.nan),
                "recall": np.where(g > 0, tp / g, np.nan),
                "f1": np.where(g + p > 0, 2 * tp / (g + p), np.nan),
                "joint_f1": np.where(g + p > 0, 2 * joint / (g + p), np.nan),
                "valence_accuracy": np.where(tp > 0, joint / tp, np.nan),
                "valence_baseline": np.where(tp > 0, base / tp, np.nan)}


def _summarise(counts: np.ndarray, docs: np.ndarray, factors: Sequence[str], *,
               n_boot: int, level: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """One row per factor and ``micro``: counts, metrics and bootstrap-over-documents
    intervals."""
    names, doc_index = np.unique(docs, return_inverse=True)
    per_doc = np.zeros((len(names), *counts.shape[1:]))
    np.add.at(per_doc, doc_index, counts)
    per_doc = np.concatenate([per_doc, per_doc.sum(axis=1, keepdims=True)], axis=1)
    point = _metrics(per_doc.sum(axis=0))
    boot = None
    if n_boot:
        draws = rng.integers(0, len(names), size=(n_boot, len(names)))
        weights = np.stack([np.bincount(d, minlength=len(names)) for d in draws])
        boot = _metrics(np.einsum("bd,dfs->bfs", weights, per_doc))
    tail = (1 - level) / 2 * 100
    rows = []
    total = per_doc.sum(axis=0)
    for j, factor in enumerate([*factors, "micro"]):
        row: dict[str, Any] = {"factor": factor, "documents": len(names),
                               "passages": len(docs), "gold": int(total[j, 0]),
                               "predicted": int(total[j, 1]), "tp": int(total[j, 2])}
        for name in ("precision", "recall", "f1", "joint_f1", "valence_accuracy"):
            row[name] = float(point[name][j])
            low, high = (np.nanpercentile(boot[name][:, j], [tail, 100 - tail])
                          if boot is not None and np.isfinite(boot[name][:, j]).any()
                          else (np.nan, np.nan))
            row[f"{name}_low"], row[f"{name}_high"] = float(low), float(high)
        row["valence_baseline"] = float(point["valence_baseline"][j])
        rows.append(row)
    return rows


@validate_params({"coders": [Mapping], "schemes": [list, tuple],
                  "n_splits": [Interval(int, 2, None), None], "n_boot": [Interval(int, 0, None)],
                  "level": [Interval(float, 0, 1, closed="neither")],
                  "factors": [list, tuple, None]})
def evaluate_coder(passages: pd.DataFrame, coders: Mapping[str, Any], *,
                   schemes: Sequence[str] = ("document", "group"), n_splits: int | None = 5,
                   group: str = "group", factors: Sequence[str] | None = None,
                   n_boot: int = 1000, level: float = 0.95,
                   random_state: int = 0) -> pd.DataFrame:
    """Cross-validated accuracy of automatic coders, by document and across groups.

    Each coder is cloned and fitted on the training folds only (its vectorisers too) and
    codes the held-out passages; every passage is held out once per scheme. The rules need no
    training: they are scored on the same folds.

    Parameters
    ----------
    passages : DataFrame
        Coded passages (:func:`uppks_qual.learn.passage_table`): ``doc_id``, ``codes``
        (``{factor: valence}``; empty: read and left uncoded), the coders' input columns and,
        for ``schemes`` with ``"group"``, the ``group`` column.
    coders : mapping
        Name -> unfitted estimator (:class:`uppks_qual.learn.CodeSuggester`,
        :class:`uppks_qual.learn.RuleCoder`, a ``GridSearchCV`` of one ...).
    schemes : sequence of {"document", "group"}
        ``"document"``: ``GroupKFold`` by document (``n_splits`` folds; ``None``: leave one
        document out). ``"group"``: train on the other groups' documents, test on one group,
        for each group (passages without a group always train).
    group : str
        The column of the groups.
    factors : sequence of str, optional
        The factors scored (default: every factor of the codes, sorted).
    n_boot : int
        Bootstrap resamples of the held-out *documents* for the intervals (0: none).
    level : float
        Confidence level of the percentile intervals.
    random_state : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per coder, scheme, test set and factor plus ``micro``. ``test`` is
        ``"all"`` (every held-out passage of the scheme, pooled) or, for ``"group"``, the
        group tested. Columns: ``documents, passages, gold, predicted, tp``;
        ``precision, recall, f1`` of factor presence, ``joint_f1`` (a hit only when the
        valence is right too), ``valence_accuracy`` (over the hits), each with ``_low`` and
        ``_high``; ``valence_baseline``: the accuracy on the same hits of always answering
        the factor's most common valence in the training folds.

    Examples
    --------
    >>> from uppks_qual.learn import RuleCoder
    >>> X = pd.DataFrame({"doc_id": ["a", "a", "b", "b"], "group": ["x", "x", "y", "y"],
    ...                   "text": ["s1", "s2", "s3", "s4"],
    ...                   "rules": ["f f=positive", "", "f f=negative", "f f=positive"],
    ...                   "codes": [{"f": "positive"}, {}, {"f": "negative"}, {}]})
    >>> table = evaluate_coder(X, {"rules": RuleCoder()}, n_splits=2, n_boot=0)
    >>> table.query("factor == 'micro'")[["scheme", "test", "precision", "recall",
    ...                                   "joint_f1"]].round(3)
         scheme test  precision  recall  joint_f1
    1  document  all      0.667     1.0     0.800
    3     group  all      0.667     1.0     0.800
    5     group    x      1.000     1.0     1.000
    7     group    y      0.500     1.0     0.667
    """
    for scheme in schemes:
        if scheme not in ("document", "group"):
            raise ParameterError(f"The 'schemes' parameter of evaluate_coder must hold "
                                 f"'document' or 'group'. Got {scheme!r} instead.",
                                 parameter="schemes", function="evaluate_coder", value=scheme)
    frame = passages.reset_index(drop=True)
    labels = [dict(v or {}) for v in frame["codes"]]
    factors = list(factors) if factors is not None else sorted({f for lab in labels
                                                               for f in lab})
    docs = frame["doc_id"].astype(str).to_numpy()
    rng = np.random.default_rng(random_state)
    rows = []
    for scheme in schemes:
        splits = list(_splits(scheme, frame, n_splits, group))
        for name, coder in coders.items():
            counts = np.zeros((len(frame), len(factors), len(_STATS)))
            tested = np.zeros(len(frame), dtype=bool)
            test_of = np.full(len(frame), "", dtype=object)
            for test_name, train, test in splits:
                counts[test] = _fold_counts(coder, frame, labels, train, test, factors)
                tested[test], test_of[test] = True, test_name
            sets = [("all", tested)] + ([(t, test_of == t) for t, *_ in splits]
                                        if scheme == "group" else [])
            for test_name, where in sets:
                for row in _summarise(counts[where], docs[where], factors, n_boot=n_boot,
                                      level=level, rng=rng):
                    rows.append({"coder": name, "scheme": scheme, "test": test_name, **row})
    return pd.DataFrame(rows)
