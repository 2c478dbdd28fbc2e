"""A learned auto-coder: trained by the project on its own manual codings.

Like NVivo's "autocode from existing coding patterns", but reproducible and measured. For each
sentence it combines

* the words of the sentence (lemmas, TF-IDF of uni- and bigrams),
* its context: the previous and next sentence, and the interviewer's last question,
* the rule-based coder's output for the sentence and the previous one (which factors its cues
  found, and their valence),

in one logistic regression per factor (class weights balanced), plus a multinomial logistic
regression for the valence of a (sentence, factor) pair. The model is trained at run time from
the manual passage codings given (no file is downloaded or shipped); hyper-parameters were
chosen by 5-fold cross-validation grouped by document on the project's *training* passages
(``data/coding/train*.csv``), never on the evaluation sample.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ImportProblem
from .evaluation import passage_factors
from .records import Codebook

__all__ = ["LearnedCoder", "learned_codings", "sentence_table", "train_coder", "training_files"]

#: Weights of the feature blocks (chosen by cross-validation on the training passages).
WEIGHTS = {"sentence": 1.0, "previous": 0.5, "next": 0.3, "question": 0.5, "rules": 1.0,
           "rules_previous": 0.5}
C = 8.0
THRESHOLD = 0.5


def training_files(folder: str | Path) -> list[Path]:
    """Training passage codings in ``folder``: ``train*.csv`` except the passage samples
    (``train_sample*.csv``), sorted.

    Examples
    --------
    >>> [p.name for p in training_files("data/coding")][:2]        # doctest: +SKIP
    ['train.csv', 'train2_asoka.csv']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("train*.csv") if "sample" not in p.name)


def _lemmas(texts: Sequence[str]) -> list[str]:
    from .nlp import get_nlp

    nlp = get_nlp()
    return [" ".join(t.norm_ for t in doc if not (t.is_punct or t.is_space))
            for doc in nlp.tokenizer.pipe(list(texts), batch_size=256)]


def sentence_table(segments: pd.DataFrame, rules: pd.DataFrame,
                   factors: Sequence[str]) -> pd.DataFrame:
    """One row per sentence with the text features and the rule coder's output.

    Parameters
    ----------
    segments : DataFrame
        ``project.segments()`` (turns/paragraphs and sentences, in reading order).
    rules : DataFrame
        Rule-based codings at sentence unit (``doc_id, start, end, factor, valence``).
    factors : sequence of str
        The factors to learn.
    """
    sents = segments[segments["kind"] == "sentence"].reset_index(drop=True).copy()
    turns = segments[(segments["kind"] != "sentence") & (segments["speaker"] == "P")]
    sents["lem"] = _lemmas(sents["text"].tolist())
    same_prev = sents["doc_id"].eq(sents["doc_id"].shift(1))
    same_next = sents["doc_id"].eq(sents["doc_id"].shift(-1))
    sents["prev"] = sents["lem"].shift(1).where(same_prev, "").fillna("")
    sents["next"] = sents["lem"].shift(-1).where(same_next, "").fillna("")
    sents["question"] = _last_question(sents, turns)
    rule = np.zeros((len(sents), 2 * len(factors)))
    where = {(d, s): i for i, (d, s) in enumerate(zip(sents["doc_id"], sents["start"], strict=True))}
    for r in rules.itertuples():
        i = where.get((r.doc_id, r.start))
        if i is not None and r.factor in factors:
            j = list(factors).index(str(r.factor))
            rule[i, j] = 1.0
            rule[i, len(factors) + j] += {"positive": 1.0, "negative": -1.0}.get(str(r.valence), 0)
    prev = np.vstack([np.zeros((1, rule.shape[1])), rule[:-1]]) * same_prev.to_numpy()[:, None]
    sents.attrs["rules"] = rule
    sents.attrs["rules_previous"] = prev
    return sents


def _last_question(sents: pd.DataFrame, turns: pd.DataFrame) -> list[str]:
    out = [""] * len(sents)
    by_doc = {d: g for d, g in turns.groupby("doc_id")}
    for doc_id, rows in sents.groupby("doc_id"):
        q = by_doc.get(doc_id)
        if q is None:
            continue
        starts = q["start"].to_numpy()
        lems = _lemmas(q["text"].tolist())
        for i, s in zip(rows.index, rows["start"], strict=True):
            k = int(np.searchsorted(starts, s)) - 1
            out[i] = lems[k] if k >= 0 else ""
    return out


@dataclass
class LearnedCoder:
    """A trained coder; :meth:`predict` codes the sentences of a :func:`sentence_table`."""

    factors: tuple[str, ...]
    vectorizers: dict[str, Any] = field(default_factory=dict)
    presence: dict[str, Any] = field(default_factory=dict)
    valence: Any = None
    n_passages: int = 0
    threshold: float = THRESHOLD

    def features(self, table: pd.DataFrame, rows: Sequence[int] | np.ndarray | None = None) -> Any:
        """Sparse feature matrix of ``table`` (all rows, or ``rows``)."""
        from scipy.sparse import csr_matrix, hstack

        idx = np.arange(len(table)) if rows is None else np.asarray(rows)
        blocks = []
        for column, name in (("lem", "sentence"), ("prev", "previous"), ("next", "next"),
                             ("question", "question")):
            blocks.append(WEIGHTS[name] * self.vectorizers[column].transform(
                table[column].iloc[idx]))
        for name in ("rules", "rules_previous"):
            blocks.append(csr_matrix(WEIGHTS[name] * table.attrs[name][idx]))
        return hstack(blocks).tocsr()

    def predict(self, table: pd.DataFrame,
                rows: Sequence[int] | np.ndarray | None = None) -> pd.DataFrame:
        """Predicted (sentence, factor) codings with ``probability`` and ``valence``."""
        idx = np.arange(len(table)) if rows is None else np.asarray(rows)
        if not len(idx):
            return pd.DataFrame(columns=["row", "factor", "probability", "valence"])
        X = self.features(table, idx)
        out = []
        for j, factor in enumerate(self.factors):
            prob = self.presence[factor].predict_proba(X)[:, 1]
            for k in np.flatnonzero(prob >= self.threshold):
                out.append((int(idx[k]), factor, float(prob[k]), j))
        frame = pd.DataFrame(out, columns=["row", "factor", "probability", "j"])
        frame["valence"] = self._valence(X, idx, frame) if len(frame) else []
        return frame.drop(columns="j")

    def _valence(self, X: Any, idx: np.ndarray, frame: pd.DataFrame) -> list[str]:
        pos = {int(r): k for k, r in enumerate(idx)}
        Xv = _valence_features(X, [pos[r] for r in frame["row"]], frame["j"].tolist(),
                               len(self.factors))
        return [str(v) for v in self.valence.predict(Xv)]


def _valence_features(X: Any, rows: Sequence[int], factor_idx: Sequence[int], n: int) -> Any:
    from scipy.sparse import csr_matrix, hstack

    one_hot = np.zeros((len(rows), n))
    one_hot[np.arange(len(rows)), factor_idx] = 1.0
    return hstack([X[list(rows)], csr_matrix(one_hot)]).tocsr()


def train_coder(table: pd.DataFrame, passages: pd.DataFrame, *, factors: Sequence[str],
                factor_of: Mapping[str, str] | None = None) -> LearnedCoder:
    """Train on manual passage codings (``passage_id, doc_id, start, end, code_id, valence``;
    an empty ``code_id`` marks a passage read and left uncoded).

    Passages are matched to sentences of ``table`` by document and start offset; passages that
    are not sentences of the table are ignored.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    where = {(d, s): i for i, (d, s) in enumerate(zip(table["doc_id"], table["start"], strict=True))}
    spans = passages.drop_duplicates("passage_id")
    rows, pids = [], []
    for r in spans.itertuples():
        i = where.get((r.doc_id, int(r.start)))
        if i is not None:
            rows.append(i)
            pids.append(r.passage_id)
    if not rows:
        raise ImportProblem("no training passage matches a sentence of the project; the "
                            "training codings must code sentences of these documents")
    gold = passage_factors(passages, factor_of=factor_of)
    coder = LearnedCoder(factors=tuple(factors), n_passages=len(rows))
    for column, bigrams in (("lem", True), ("prev", False), ("next", False), ("question", False)):
        coder.vectorizers[column] = TfidfVectorizer(
            ngram_range=(1, 2) if bigrams else (1, 1), min_df=2, sublinear_tf=True,
            token_pattern=r"(?u)\S+").fit(table[column])
    X = coder.features(table, rows)
    for factor in factors:
        y = np.array([factor in gold[p] for p in pids])
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        coder.presence[factor] = model.fit(X, y) if 0 < y.sum() < len(y) else _Constant(y)
    pairs = [(k, list(factors).index(f), v) for k, p in enumerate(pids)
             for f, v in gold[p].items() if f in factors]
    if len({v for _, _, v in pairs}) < 2:
        raise ImportProblem("the training codings need at least two different valences "
                            "(positive, negative, neutral) to learn valence; add codings")
    Xv = _valence_features(X, [k for k, _, _ in pairs], [j for _, j, _ in pairs], len(factors))
    coder.valence = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(
        Xv, [v for _, _, v in pairs])
    return coder


class _Constant:
    """Stand-in model for a factor never (or always) present in the training passages."""

    def __init__(self, y: np.ndarray) -> None:
        self.p = float(bool(len(y)) and y.all())

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile([1 - self.p, self.p], (X.shape[0], 1))


def learned_codings(segments: pd.DataFrame, rule_rows: Sequence[Mapping[str, Any]],
                    passages: pd.DataFrame, codebook: Codebook, *,
                    skip_speakers: Collection[str] = ("P",)) -> list[dict[str, Any]]:
    """Train a :class:`LearnedCoder` on ``passages`` and code every sentence with it.

    Parameters
    ----------
    segments : DataFrame
        The project's segments (``project.segments()``).
    rule_rows : sequence of mapping
        The rule coder's sentence codings of the same documents (``doc_id, start, end,
        code_id, factor, valence``).
    passages : DataFrame
        Manual passage codings (``passage_id, doc_id, start, end, code_id, valence``; an empty
        ``code_id`` marks a passage read and left uncoded).
    codebook : Codebook
        Its factors are learned; a predicted factor takes the sub-code the rules found in the
        sentence, else the factor itself. The rule codings of codes that are not factors
        (structural and rival codes) are kept as the rules made them: the model decides only
        the factors. Codes without cues (kind ``other``) are never applied automatically.
    skip_speakers : collection of str
        Turns of these speakers are not coded.

    Returns
    -------
    list of dict
        Rows ``doc_id, start, end, code_id, factor, valence, confidence, text, cues``.
    """
    factors = [c.code_id for c in codebook.factors()]
    rules = pd.DataFrame(list(rule_rows), columns=["doc_id", "start", "end", "code_id",
                                                   "factor", "valence"])
    table = sentence_table(segments, rules, factors)
    model = train_coder(table, passages, factors=factors,
                        factor_of={c.code_id: c.factor for c in codebook})
    coded = [i for i, sp in enumerate(table["speaker"]) if sp not in skip_speakers]
    sub = {(r.doc_id, r.start, r.factor): r.code_id for r in rules.itertuples()}
    out = []
    for p in model.predict(table, coded).itertuples():
        sent = table.iloc[p.row]
        code_id = sub.get((sent["doc_id"], sent["start"], p.factor), p.factor)
        out.append({"doc_id": sent["doc_id"], "start": int(sent["start"]),
                    "end": int(sent["end"]), "code_id": code_id, "factor": p.factor,
                    "valence": p.valence, "confidence": round(p.probability, 4),
                    "text": sent["text"], "cues": f"learned (p={p.probability:.2f})"})
    # codes that are not factors (structural, rival): the rules' codings pass through as made
    return out + [dict(r) for r in rule_rows if r["factor"] not in factors]
