"""The estimators: :class:`CodeSuggester` (the learned coder), :class:`RuleCoder` (the rules
behind the same interface) and :class:`DocumentKFold`, and coding a corpus with them
(:func:`cross_fit_predict`, :func:`learned_codings`, :func:`coding_rows`).

A fitted model is pickled (:meth:`CodeSuggester.to_bytes`): every class it holds is also
importable as ``uppks_qual.learn.<name>``, where models saved before the package split find
them.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from ..errors import ImportProblem, ParameterError
from ..masking import Masker
from ..records import Codebook, Document
from .features import PassageText, _Vectorizer
from .tables import (
    _VALENCE_ORDER,
    _as_document,
    _passage_frame,
    documents_table,
    labelled_passages,
    parse_rules,
    rules_frame,
    sentence_table,
)

#: Columns of :meth:`CodeSuggester.predict`.
PREDICTION_COLUMNS = ("row", "doc_id", "start", "end", "text", "factor", "valence",
                      "probability")
_MODEL_FORMAT = "uppks-qual CodeSuggester 1"


class _Constant:
    """The valence model when the training passages have a single valence."""

    def __init__(self, value: str) -> None:
        self.value = value

    def predict(self, X: Any) -> np.ndarray:
        return np.full(X.shape[0], self.value, dtype=object)


# --------------------------------------------------------------------------- estimators
class _PassageInput:
    """What both coders accept: a passage frame, strings or Documents (see the module)."""

    codebook: Codebook | None
    skip_speakers: Collection[str]
    factors: Sequence[str]

    def passages(self, X: pd.DataFrame | str | Document | Iterable[str | Document]
                 ) -> pd.DataFrame:
        """The passage frame the coder codes for ``X``: ``X`` itself (a frame, completed with
        empty context columns if needed), or the informant sentences of the texts or
        Documents (:func:`documents_table`), in reading order. :meth:`predict_proba`'s rows
        and :meth:`predict`'s ``row`` refer to it."""
        if isinstance(X, pd.DataFrame):
            return _passage_frame(X)
        items = [X] if isinstance(X, str | Document) else list(X)
        docs = [_as_document(x, i) for i, x in enumerate(items)]
        if not docs:
            return _passage_frame(pd.DataFrame({"text": []}))
        return _passage_frame(documents_table(docs, codebook=self.codebook,
                                              skip_speakers=self.skip_speakers))

    def _factors(self, labels: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
        if self.factors:
            return tuple(self.factors)
        if self.codebook is not None:
            return tuple(c.code_id for c in self.codebook.factors())
        return tuple(sorted({f for lab in labels for f in lab}))

    def _labels(self, frame: pd.DataFrame, y: Any) -> list[dict[str, str]]:
        if y is None and "codes" not in frame:
            raise ParameterError("fit needs coded passages: a 'codes' column of {factor: "
                                 "valence} (see learn.passage_table) or y", parameter="X",
                                 function=f"{type(self).__name__}.fit", value=None)
        return [dict(v or {}) for v in (frame["codes"] if y is None else y)]

    def _frame(self, rows: np.ndarray, frame: pd.DataFrame, factors: Sequence[int] | np.ndarray,
               proba: Sequence[float] | np.ndarray, valences: Sequence[str]) -> pd.DataFrame:
        out = pd.DataFrame({
            "row": np.asarray(rows, dtype="int64"),
            "doc_id": frame["doc_id"].to_numpy()[rows].astype(str),
            "start": frame["start"].to_numpy()[rows].astype("int64"),
            "end": frame["end"].to_numpy()[rows].astype("int64"),
            "text": frame["text"].to_numpy()[rows].astype(str),
            "factor": [self.factors_[j] for j in factors],  # type: ignore[attr-defined]
            "valence": list(valences), "probability": np.asarray(proba, dtype=float)})
        return out.loc[:, list(PREDICTION_COLUMNS)]


class CodeSuggester(_PassageInput, BaseEstimator):
    """Suggest the factors (and their valence) of sentences, learned from manual codings.

    A scikit-learn estimator (``clone``, ``get_params``, ``set_params``, grid search): the
    hyper-parameters are the constructor's arguments; :meth:`fit` learns from a frame of
    coded passages and sets the attributes ending in ``_``.

    Parameters
    ----------
    factors : sequence of str
        The factors to learn (default: the codebook's factors, else every factor in the
        training codes).
    codebook : Codebook, optional
        Needed to code strings and Documents (the rule coder's output is a feature) and used
        for the default ``factors``.
    C : float
        Inverse regularisation strength of the logistic regressions. The defaults of ``C``
        and ``context_weight`` are what ``scripts/evaluate_coder.py``'s grid search chose
        (grouped by document, on the training passages only).
    threshold : float
        A factor is suggested when its probability is at least this.
    context_weight : float
        Weight of the context blocks (previous and next sentence, interviewer's question, and
        the rules' output for the previous sentence) against the sentence's own words (1).
    rules_weight : float
        Weight of the rule coder's output.
    mask : Masker, None or False
        Names replaced before featurising (:class:`PassageText`); ``None``: names after an
        honorific only; ``False``: none.
    skip_speakers : collection of str
        Interviewer labels: their turns are context (the question), never coded.
    min_df : int
        A word (or word pair) must occur in this many training passages to be a feature.

    Attributes
    ----------
    factors_ : tuple of str
    pipeline_ : Pipeline
        :class:`PassageText` then a ColumnTransformer of the TF-IDF blocks.
    presence_ : OneVsRestClassifier
        One logistic regression per factor.
    valence_ : OneVsRestClassifier
        Valence of a (sentence, factor) pair (one logistic regression per valence).
    summary_ : dict
        What it was trained on: passages, coded passages, documents, codebook version.
    """

    def __init__(self, *, factors: Sequence[str] = (), codebook: Codebook | None = None,
                 C: float = 8.0, threshold: float = 0.5, context_weight: float = 0.5,
                 rules_weight: float = 1.0, mask: Masker | bool | None = None,
                 skip_speakers: Collection[str] = ("P",), min_df: int = 2) -> None:
        self.factors = factors
        self.codebook = codebook
        self.C = C
        self.threshold = threshold
        self.context_weight = context_weight
        self.rules_weight = rules_weight
        self.mask = mask
        self.skip_speakers = skip_speakers
        self.min_df = min_df

    def _pipeline(self) -> Any:
        from sklearn.compose import ColumnTransformer
        from sklearn.pipeline import Pipeline

        cw, rw, df = float(self.context_weight), float(self.rules_weight), int(self.min_df)
        blocks = [("sentence", _Vectorizer((1, 2), df), "text"),
                  *((c, _Vectorizer((1, 1), df), c) for c in ("previous", "next", "question")),
                  ("rules", _Vectorizer(binary=True, min_df=1), "rules"),
                  ("rules_previous", _Vectorizer(binary=True, min_df=1), "rules_previous")]
        weights = {"sentence": 1.0, "previous": cw, "next": cw, "question": cw, "rules": rw,
                   "rules_previous": rw * cw}
        features = ColumnTransformer(blocks, transformer_weights=weights, sparse_threshold=1.0)
        return Pipeline([("prepare", PassageText(mask=self.mask)), ("features", features)])

    def _check(self) -> None:
        from ..params import Interval, check_param

        for name, low in (("C", 0.0), ("threshold", 0.0), ("context_weight", 0.0),
                          ("rules_weight", 0.0)):
            check_param(getattr(self, name), [Interval(float, low, None)], name=name,
                        func="CodeSuggester")
        check_param(self.threshold, [Interval(float, 0, 1)], name="threshold",
                    func="CodeSuggester")
        check_param(self.mask, [Masker, None, bool], name="mask", func="CodeSuggester")

    def fit(self, X: pd.DataFrame, y: Sequence[Mapping[str, str]] | None = None
            ) -> CodeSuggester:
        """Learn from coded passages.

        Parameters
        ----------
        X : DataFrame
            Passages (:func:`passage_table`): ``text`` and, when known, ``previous``,
            ``next``, ``question``, ``rules``, ``rules_previous``, ``doc_id``, and ``codes``
            (``{factor: valence}`` per passage; empty: read and left uncoded).
        y : sequence of mapping, optional
            The codes, if not in ``X["codes"]``.

        Returns
        -------
        CodeSuggester
            self, fitted.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self._check()
        if not isinstance(X, pd.DataFrame):
            raise ParameterError("CodeSuggester.fit needs a DataFrame of coded passages (see "
                                 "learn.passage_table)", parameter="X",
                                 function="CodeSuggester.fit", value=type(X).__name__)
        frame = _passage_frame(X)
        labels = self._labels(frame, y)
        factors = self._factors(labels)
        Y = np.array([[f in lab for f in factors] for lab in labels], dtype=int).reshape(
            len(labels), len(factors))
        if not len(factors) or not Y.any():
            raise ImportProblem("none of the training passages is coded with a factor; the "
                                "learned coder needs manual codings to learn from")
        self.factors_ = factors
        self.pipeline_ = self._pipeline()
        features = self.pipeline_.fit_transform(frame)
        logistic = LogisticRegression(C=float(self.C), class_weight="balanced",
                                      solver="liblinear", max_iter=1000)
        with warnings.catch_warnings():  # a factor no training passage has: predicted never
            warnings.filterwarnings("ignore", message="Label .* is present in all training")
            self.presence_ = OneVsRestClassifier(logistic).fit(features, Y)
        pairs = [(i, j, labels[i][f]) for i in range(len(labels))
                 for j, f in enumerate(factors) if f in labels[i]]
        rows, js, values = (list(x) for x in zip(*pairs, strict=True))
        Xv = self._pair_features(features, frame, rows, js)
        self.valence_ = (OneVsRestClassifier(clone(logistic)).fit(Xv, values)
                         if len(set(values)) > 1 else _Constant(values[0]))
        self.summary_: dict[str, Any] = {
            "passages": len(frame), "coded_passages": int(Y.any(axis=1).sum()),
            "documents": sorted({str(d) for d in frame["doc_id"] if str(d)}),
            "factors": list(factors),
            "codebook_version": self.codebook.version if self.codebook is not None else None}
        return self

    def _pair_features(self, features: Any, frame: pd.DataFrame,
                       rows: Sequence[int] | np.ndarray, js: Sequence[int] | np.ndarray) -> Any:
        """Features of (passage, factor) pairs: the passage's features, shared and once more
        in the block of the pair's factor (so a word can say "positive" for one factor and
        not for another), the factor (one-hot) and the rules' valence for that factor
        (one-hot, weighted).

        The matrix is built from arrays. Each row's entries are, in this order, the
        passage's, the same in the factor's block, the factor and the rules' valence (when
        found and ``rules_weight`` is not 0): the entries, and their order, of stacking the
        blocks side by side, less the zeros that the other factors' blocks would hold (they
        add nothing to a product, so the models' outputs are the same to the last bit)."""
        from scipy.sparse import csr_matrix

        rows, js = np.asarray(rows, dtype=np.int64), np.asarray(js, dtype=np.int64)
        n, width = len(rows), len(self.factors_)
        shared = features[rows].tocsr()
        cols = shared.shape[1]
        cells = frame["rules"].to_numpy()[rows]
        parsed = {c: parse_rules(c) for c in set(cells.tolist())}
        found = [_VALENCE_ORDER.get(parsed[c].get(self.factors_[j], ""), -1)
                 for c, j in zip(cells.tolist(), js.tolist(), strict=True)]
        # the rules' valence column of each pair, -1: none (a zero weight adds no entry)
        rule = np.array(found, dtype=np.int64) if float(self.rules_weight) else np.full(n, -1)
        size = np.diff(shared.indptr).astype(np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(2 * size + 1 + (rule >= 0), out=indptr[1:])
        owner = np.repeat(np.arange(n), size)
        place = indptr[owner] + np.arange(shared.nnz) - shared.indptr[owner]
        data, indices = np.empty(indptr[-1]), np.empty(indptr[-1], dtype=np.int64)
        data[place], indices[place] = shared.data, shared.indices
        own = place + size[owner]
        data[own], indices[own] = shared.data, shared.indices + cols * (1 + js[owner])
        hot = indptr[1:] - 1 - (rule >= 0)
        data[hot], indices[hot] = 1.0, cols * (1 + width) + js
        has = np.flatnonzero(rule >= 0)
        data[indptr[1:][has] - 1] = float(self.rules_weight)
        indices[indptr[1:][has] - 1] = cols * (1 + width) + width + rule[has]
        return csr_matrix((data, indices, indptr),
                          shape=(n, cols * (1 + width) + width + len(_VALENCE_ORDER)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each factor (columns: :attr:`factors_`) for each passage of
        :meth:`passages` ``(X)``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "presence_")
        frame = self.passages(X)
        if not len(frame):
            return np.zeros((0, len(self.factors_)))
        return self._proba(self.pipeline_.transform(frame))

    def _proba(self, features: Any) -> np.ndarray:
        proba = np.asarray(self.presence_.predict_proba(features), dtype=float)
        return proba.reshape(features.shape[0], len(self.factors_))

    def predict(self, X: Any) -> pd.DataFrame:
        """The suggested codings: one row per (passage, factor) whose probability is at least
        :attr:`threshold`.

        Parameters
        ----------
        X : DataFrame, str, Document, or list of str or Document
            Passages (a frame as :func:`sentence_table` makes), or texts and documents whose
            informant sentences are coded.

        Returns
        -------
        DataFrame
            ``row`` (the passage's position in :meth:`passages` ``(X)``), ``doc_id, start,
            end, text, factor, valence, probability``, in passage then factor order.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "presence_")
        frame = self.passages(X)
        if not len(frame):
            return self._frame(np.array([], int), frame, [], [], [])
        features = self.pipeline_.transform(frame)
        proba = self._proba(features)
        rows, js = np.nonzero(proba >= self.threshold)
        valences = (self.valence_.predict(self._pair_features(features, frame, rows, js))
                    if len(rows) else [])
        return self._frame(rows, frame, js, proba[rows, js], [str(v) for v in valences])

    def to_bytes(self) -> bytes:
        """The fitted model as bytes, with the codebook version and a training summary
        (:meth:`from_bytes` reads it). Pickle: load only models you made."""
        import sklearn
        from sklearn.utils.validation import check_is_fitted

        from .._version import __version__

        check_is_fitted(self, "presence_")
        payload = {"format": _MODEL_FORMAT, "uppks_qual": __version__,
                   "sklearn": sklearn.__version__, "summary": self.summary_, "model": self}
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> CodeSuggester:
        """A model :meth:`to_bytes` wrote (warns when scikit-learn's version differs)."""
        import sklearn

        try:
            payload = pickle.loads(data)  # a project's own model: trusted as the project is
        except Exception as exc:  # any unpickling problem: not a model
            raise ImportProblem(f"not a saved CodeSuggester ({exc})") from None
        if not isinstance(payload, dict) or payload.get("format") != _MODEL_FORMAT:
            raise ImportProblem("not a saved CodeSuggester (unknown format)")
        if payload["sklearn"] != sklearn.__version__:
            from ..errors import warn

            warn(f"the saved model was made with scikit-learn {payload['sklearn']}; this is "
                 f"{sklearn.__version__}: retrain it if its suggestions look wrong")
        return payload["model"]


class RuleCoder(_PassageInput, BaseEstimator):
    """The rule-based coder (:mod:`uppks_qual.autocode`) behind the estimator interface, to
    evaluate it on the same folds as :class:`CodeSuggester`: nothing is learned; it reads the
    ``rules`` column (or codes strings and Documents with ``codebook``)."""

    def __init__(self, *, factors: Sequence[str] = (), codebook: Codebook | None = None,
                 skip_speakers: Collection[str] = ("P",)) -> None:
        self.factors = factors
        self.codebook = codebook
        self.skip_speakers = skip_speakers

    def fit(self, X: pd.DataFrame, y: Any = None) -> RuleCoder:
        """Nothing to learn: records the factors; returns self."""
        frame = _passage_frame(X)
        labels = self._labels(frame, y) if (y is not None or "codes" in frame) else []
        self.factors_ = self._factors(labels)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """1 where the rules found the factor, else 0 (columns: :attr:`factors_`)."""
        found = [parse_rules(c) for c in self.passages(X)["rules"]]
        return np.array([[float(f in r) for f in self.factors_] for r in found]).reshape(
            len(found), len(self.factors_))

    def predict(self, X: Any) -> pd.DataFrame:
        """The rules' codings of the factors, as :meth:`CodeSuggester.predict`."""
        frame = self.passages(X)
        found = [parse_rules(c) for c in frame["rules"]]
        hits = [(i, j, r[f]) for i, r in enumerate(found) for j, f in enumerate(self.factors_)
                if f in r]
        rows, js, values = (list(x) for x in zip(*hits, strict=True)) if hits else ([], [], [])
        return self._frame(np.array(rows, int), frame, js, [1.0] * len(rows), values)


class DocumentKFold:
    """``GroupKFold`` whose groups are a column of the passage frame (``doc_id``), so a grid
    search needs no ``groups=`` (and can run inside another cross-validation).

    Examples
    --------
    >>> X = pd.DataFrame({"doc_id": ["a", "a", "b", "c"]})
    >>> sorted(sorted(set(X["doc_id"].iloc[test])) for _, test in DocumentKFold(3).split(X))
    [['a'], ['b'], ['c']]
    """

    def __init__(self, n_splits: int = 5, *, column: str = "doc_id") -> None:
        self.n_splits = n_splits
        self.column = column

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds."""
        return self.n_splits

    def split(self, X: pd.DataFrame, y: Any = None,
              groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Train and test positions, no document on both sides."""
        from sklearn.model_selection import GroupKFold

        groups = X[self.column].to_numpy() if groups is None else groups
        yield from GroupKFold(self.n_splits).split(X, y, groups)

    def __repr__(self) -> str:
        return f"DocumentKFold(n_splits={self.n_splits}, column={self.column!r})"


# --------------------------------------------------------------------------- coding a corpus
def cross_fit_predict(estimator: CodeSuggester, table: pd.DataFrame, training: pd.DataFrame, *,
                      n_splits: int = 5,
                      predict: Callable[[CodeSuggester, pd.DataFrame], pd.DataFrame] | None
                      = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Code every sentence of ``table`` with a model that never saw its document.

    The documents of ``table`` (all of them, with training passages or not) are split into
    ``n_splits`` folds (``GroupKFold`` by document); for each fold a clone of ``estimator`` is
    fitted on the ``training`` passages of the *other* folds' documents and codes the fold's
    sentences. ``predict(model, sentences)`` codes them (default ``model.predict``; e.g.
    :func:`uppks_qual.parallel.predict_by_document` to use several processes).

    Returns
    -------
    (DataFrame, dict)
        The predictions (:meth:`CodeSuggester.predict`, ``row`` pointing into ``table``,
        plus ``fold``) and each document's fold.
    """
    from sklearn.model_selection import GroupKFold

    docs = table["doc_id"].astype(str).to_numpy()
    k = min(int(n_splits), len(set(docs)))
    if k < 2:
        raise ParameterError("cross-fitting needs at least two documents to code",
                             parameter="n_splits", function="cross_fit_predict", value=n_splits)
    folds: dict[str, int] = {}
    parts = []
    for fold, (_, test) in enumerate(GroupKFold(k).split(table, groups=docs)):
        held_out = set(docs[test])
        model = clone(estimator).fit(training[~training["doc_id"].astype(str).isin(held_out)])
        pred = (model.predict(table.iloc[test]) if predict is None
                else predict(model, table.iloc[test]))
        pred["row"] = test[pred["row"].to_numpy()]
        parts.append(pred.assign(fold=fold))
        folds.update(dict.fromkeys(sorted(held_out), fold))
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable"), folds


def coding_rows(predictions: pd.DataFrame, rule_rows: Sequence[Mapping[str, Any]],
                codebook: Codebook) -> list[dict[str, Any]]:
    """Automatic coding rows (``doc_id, start, end, code_id, factor, valence, confidence,
    text, cues``) from a coder's predictions: a predicted factor takes the sub-code the rules
    found in the sentence, else the factor itself; the rules' codings of codes that are not
    factors (structural and rival codes) pass through as the rules made them. Codes without
    cues (kind ``other``) are never applied automatically."""
    factors = {c.code_id for c in codebook.factors()}
    sub = {(r["doc_id"], int(r["start"]), r["factor"]): r["code_id"] for r in rule_rows}
    out = [{"doc_id": p.doc_id, "start": int(p.start), "end": int(p.end),
            "code_id": sub.get((p.doc_id, int(p.start), p.factor), p.factor),
            "factor": p.factor, "valence": p.valence, "confidence": round(p.probability, 4),
            "text": p.text, "cues": f"learned (p={p.probability:.2f})"}
           for p in predictions.itertuples()]
    return out + [dict(r) for r in rule_rows if r["factor"] not in factors]


def learned_codings(segments: pd.DataFrame, rule_rows: Sequence[Mapping[str, Any]],
                    passages: pd.DataFrame | None, codebook: Codebook, *,
                    skip_speakers: Collection[str] = ("P",), mask: Masker | None = None,
                    model: CodeSuggester | None = None) -> list[dict[str, Any]]:
    """Code every informant sentence with a :class:`CodeSuggester`: ``model``, or one trained
    here on ``passages``.

    Parameters
    ----------
    segments : DataFrame
        The documents' segments (``project.segments()``).
    rule_rows : sequence of mapping
        The rule coder's sentence codings of the same documents (``doc_id, start, end,
        code_id, factor, valence``).
    passages : DataFrame or None
        Manual passage codings (``passage_id, doc_id, start, end, code_id, valence``; an empty
        ``code_id`` marks a passage read and left uncoded). The model is trained on them, so
        the documents they come from are coded by a model that saw them: to use the codings
        as evidence about those documents, cross-fit (:func:`cross_fit_predict`).
    codebook : Codebook
    skip_speakers : collection of str
        Turns of these speakers are not coded (they are the question context).
    mask : Masker, optional
        Names to mask (see :class:`CodeSuggester`).
    model : CodeSuggester, optional
        A fitted model to use instead of training one.

    Returns
    -------
    list of dict
        :func:`coding_rows`.
    """
    factors = [c.code_id for c in codebook.factors()]
    table = sentence_table(segments, rules_frame(rule_rows), factors,
                           interviewer_labels=skip_speakers)
    if model is None:
        model = CodeSuggester(codebook=codebook, mask=mask, skip_speakers=tuple(skip_speakers))
        model.fit(labelled_passages(table, passages, codebook))
    coded = table[~table["speaker"].isin(list(skip_speakers))]
    return coding_rows(model.predict(coded), rule_rows, codebook)
