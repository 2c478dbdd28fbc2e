"""The tables the learned auto-coder reads and learns from.

:func:`sentence_table` makes one row per sentence with its context (the previous and next
sentence, the interviewer's last question) and the rule coder's output; :func:`passage_table`
and :func:`labelled_passages` keep the sentences that manual passages cover, with their codes;
:func:`documents_table` makes the table of texts and Documents. Also the study's masker
(:func:`study_masker`) and the training files (:func:`training_files`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ImportProblem, ParameterError
from ..evaluation import passage_factors
from ..masking import Masker, masker_for
from ..records import Codebook, Document

#: Text columns of a passage frame (masked and lemmatised before featurising).
TEXT_COLUMNS = ("text", "previous", "next", "question")
#: Rule columns of a passage frame: the rule coder's factors and valences as tokens.
RULE_COLUMNS = ("rules", "rules_previous")
_VALENCE_ORDER = {"negative": 0, "positive": 1, "neutral": 2}


def training_files(folder: str | Path) -> list[Path]:
    """Training passage codings in ``folder``: ``train*.csv`` except the passage samples
    (``train_sample*.csv``), sorted.

    Examples
    --------
    >>> [p.name for p in training_files("data/coding")][:2]        # doctest: +SKIP
    ['train.csv', 'train2.csv']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("train*.csv") if "sample" not in p.name)


# --------------------------------------------------------------------------- passage frames
def rules_frame(rule_rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rule-coder rows (``doc_id, start, end, code_id, factor, valence`` ...) as a frame."""
    return pd.DataFrame(list(rule_rows), columns=["doc_id", "start", "end", "code_id",
                                                  "factor", "valence"])


def sentence_table(segments: pd.DataFrame, rules: pd.DataFrame,
                   factors: Sequence[str] | None = None, *,
                   interviewer_labels: Collection[str] = ("P",)) -> pd.DataFrame:
    """One row per sentence with its context and the rule coder's output: what
    :class:`CodeSuggester` codes.

    Parameters
    ----------
    segments : DataFrame
        ``project.segments()`` or ``corpus.segments`` (turns/paragraphs and sentences, in
        reading order).
    rules : DataFrame
        Rule-based codings at sentence unit (``doc_id, start, factor, valence``;
        :func:`rules_frame`).
    factors : sequence of str, optional
        Keep only these factors of the rules (default: all).
    interviewer_labels : collection of str
        Speakers whose turns are the interviewer's questions.

    Returns
    -------
    DataFrame
        The sentence segments' columns plus ``previous`` and ``next`` (the neighbouring
        sentences of the same document, ``""`` at its ends), ``question`` (the interviewer's
        last turn before the sentence), ``rules`` and ``rules_previous`` (the factors the
        rules found in the sentence and in the previous one, as tokens ``factor
        factor=valence``).

    Examples
    --------
    >>> seg = pd.DataFrame({"doc_id": ["d"] * 3, "kind": ["turn", "sentence", "sentence"],
    ...                     "speaker": ["P", "I", "I"], "start": [0, 10, 20],
    ...                     "end": [8, 19, 30], "text": ["Rapatnya?", "Rapat rutin.",
    ...                                                  "Ketua rajin."]})
    >>> rules = rules_frame([{"doc_id": "d", "start": 20, "end": 30, "code_id": "lead",
    ...                       "factor": "lead", "valence": "positive"}])
    >>> sentence_table(seg, rules)[["text", "previous", "question", "rules"]]
               text      previous   question                  rules
    0  Rapat rutin.                Rapatnya?
    1  Ketua rajin.  Rapat rutin.  Rapatnya?  lead lead=positive
    """
    sents = segments[segments["kind"] == "sentence"].reset_index(drop=True).copy()
    turns = segments[(segments["kind"] != "sentence")
                     & segments["speaker"].isin(list(interviewer_labels))]
    text = sents["text"].fillna("").astype(str)
    same_prev = sents["doc_id"].eq(sents["doc_id"].shift(1))
    same_next = sents["doc_id"].eq(sents["doc_id"].shift(-1))
    sents["previous"] = text.shift(1).where(same_prev, "").fillna("")
    sents["next"] = text.shift(-1).where(same_next, "").fillna("")
    sents["question"] = _last_question(sents, turns)
    tokens = pd.Series(_rule_tokens(sents, rules, factors), index=sents.index, dtype=object)
    sents["rules"] = tokens
    sents["rules_previous"] = tokens.shift(1).where(same_prev, "").fillna("")
    return sents


def _last_question(sents: pd.DataFrame, turns: pd.DataFrame) -> list[str]:
    out = [""] * len(sents)
    by_doc = {d: g for d, g in turns.groupby("doc_id", sort=False)}
    for doc_id, rows in sents.groupby("doc_id", sort=False):
        q = by_doc.get(doc_id)
        if q is None:
            continue
        q = q.sort_values("start")
        starts, texts = q["start"].to_numpy(), q["text"].fillna("").astype(str).tolist()
        for i, s in zip(rows.index, rows["start"], strict=True):
            k = int(np.searchsorted(starts, s)) - 1
            out[i] = texts[k] if k >= 0 else ""
    return out


def _rule_tokens(sents: pd.DataFrame, rules: pd.DataFrame,
                 factors: Sequence[str] | None) -> list[str]:
    """Per sentence, ``factor factor=valence`` for each factor the rules found (several codes
    of one factor take their most common valence; ties: negative > positive > neutral)."""
    where = {(d, int(s)): i for i, (d, s) in enumerate(zip(sents["doc_id"], sents["start"],
                                                          strict=True))}
    votes: dict[int, dict[str, dict[str, int]]] = {}
    keep = None if factors is None else set(factors)
    for r in rules.itertuples():
        i = where.get((r.doc_id, int(r.start)))
        if i is None or (keep is not None and r.factor not in keep):
            continue
        valence = str(r.valence) if isinstance(r.valence, str) and r.valence else "neutral"
        count = votes.setdefault(i, {}).setdefault(str(r.factor), {})
        count[valence] = count.get(valence, 0) + 1
    out = [""] * len(sents)
    for i, by_factor in votes.items():
        out[i] = " ".join(f"{f} {f}={_top(c)}" for f, c in sorted(by_factor.items()))
    return out


def _top(counts: Mapping[str, int]) -> str:
    return min(counts, key=lambda v: (-counts[v], _VALENCE_ORDER.get(v, 3)))


def parse_rules(tokens: str) -> dict[str, str]:
    """``{factor: valence}`` from a ``rules`` cell of :func:`sentence_table`.

    Examples
    --------
    >>> parse_rules("capital capital=negative lead lead=positive")
    {'capital': 'negative', 'lead': 'positive'}
    """
    return dict(t.split("=", 1) for t in str(tokens or "").split() if "=" in t)


def passage_table(table: pd.DataFrame, passages: pd.DataFrame, *,
                  factor_of: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The sentences of ``table`` that manual passages cover, with the codes: what
    :meth:`CodeSuggester.fit` learns from.

    Parameters
    ----------
    table : DataFrame
        :func:`sentence_table` of the documents.
    passages : DataFrame
        Manual passage codings (``passage_id, doc_id, start, end, code_id, valence``; an empty
        ``code_id`` marks a passage read and left uncoded).
    factor_of : mapping, optional
        Code id -> factor (``{c.code_id: c.factor for c in codebook}``).

    Returns
    -------
    DataFrame
        The rows of ``table`` that a passage overlaps by at least half of the shorter span,
        plus ``passage_id`` and ``codes`` (``{factor: valence}``; empty: read, not coded).
        A sentence covered by several passages takes all their factors. Passages that cover
        no sentence are left out (their number is ``attrs["unmatched"]``).
    """
    gold = passage_factors(passages, factor_of=factor_of)
    spans = passages.drop_duplicates("passage_id")
    by_doc = {d: (g.index.to_numpy(), g["start"].to_numpy(), g["end"].to_numpy())
              for d, g in table.groupby("doc_id", sort=False)}
    found: dict[int, tuple[str, dict[str, str]]] = {}
    unmatched = 0
    for p in spans.itertuples():
        idx, starts, ends = by_doc.get(p.doc_id, (np.array([], int),) * 3)
        s, e = int(p.start), int(p.end)
        overlap = np.minimum(ends, e) - np.maximum(starts, s)
        hits = idx[(overlap > 0) & (overlap >= 0.5 * np.minimum(ends - starts, e - s))]
        unmatched += not len(hits)
        for i in hits:
            pid, codes = found.get(int(i), (str(p.passage_id), {}))
            for factor, valence in gold[p.passage_id].items():
                old = codes.get(factor)
                if old is None or _VALENCE_ORDER.get(valence, 3) < _VALENCE_ORDER.get(old, 3):
                    codes[factor] = valence
            found[int(i)] = (pid, codes)
    order = sorted(found)
    out = table.loc[order].reset_index(drop=True)
    out["passage_id"] = [found[i][0] for i in order]
    out["codes"] = pd.Series([found[i][1] for i in order], dtype=object)
    out.attrs["unmatched"] = unmatched
    return out


def labelled_passages(table: pd.DataFrame, passages: pd.DataFrame | None,
                      codebook: Codebook) -> pd.DataFrame:
    """:func:`passage_table` with the codebook's factors, an :class:`ImportProblem` when no
    passage covers a sentence of ``table``."""
    frame = (passage_table(table, passages, factor_of={c.code_id: c.factor for c in codebook})
             if passages is not None and len(passages) else table.iloc[:0])
    if not len(frame):
        raise ImportProblem("no training passage matches a sentence of the project; the "
                            "training codings must code sentences of these documents")
    return frame


def documents_table(documents: Iterable[Document], *, codebook: Codebook | None = None,
                    skip_speakers: Collection[str] = ("P",)) -> pd.DataFrame:
    """:func:`sentence_table` of the sentences of ``documents`` spoken by informants (not by
    ``skip_speakers``), with the rule coder's output when a ``codebook`` is given and each
    document's ``group``.

    Each document is cut as the corpus loader cuts it
    (:func:`uppks_qual.corpus.document_segments`) and coded by
    :func:`uppks_qual.autocode.autocode_segments` at sentence unit.
    """
    from ..autocode import autocode_segments
    from ..corpus import document_segments, segments_frame

    segments, rule_rows, groups = [], [], {}
    for doc in documents:
        groups[doc.doc_id] = doc.group
        segs = document_segments(doc)
        segments += segs
        if codebook is not None:
            rule_rows += [{**r, "doc_id": doc.doc_id} for r in autocode_segments(
                doc.text, segs, codebook, unit="sentence", skip_speakers=skip_speakers)]
    frame = segments_frame(segments)
    factors = [c.code_id for c in codebook.factors()] if codebook is not None else None
    table = sentence_table(frame, rules_frame(rule_rows), factors,
                           interviewer_labels=skip_speakers)
    table["group"] = table["doc_id"].map(groups)
    keep = ~table["speaker"].isin(list(skip_speakers))
    return table[keep].reset_index(drop=True)


def _as_document(item: str | Document, i: int) -> Document:
    if isinstance(item, Document):
        return item
    if not isinstance(item, str):
        raise ParameterError(f"The 'X' parameter of CodeSuggester must be a DataFrame of "
                             f"passages, or a list of strings or Documents. Got an item of "
                             f"type {type(item).__name__} instead.", parameter="X",
                             function="CodeSuggester", value=item)
    from ..corpus import DEFAULT_SPEAKERS
    from ..textio import SPEAKER_LABEL, normalise

    text = normalise(item)
    labels = {m.group(1) for m in SPEAKER_LABEL.finditer(text)}
    speakers = {label: label for label in sorted(labels) if label not in DEFAULT_SPEAKERS}
    return Document(f"text-{i + 1}", text, "", "", "interview" if labels else "document", "",
                    "", "unknown", meta={"speakers": speakers})


def _passage_frame(X: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``X`` with every column the features need (missing ones empty)."""
    if "text" not in X.columns:
        raise ParameterError("The 'X' parameter of CodeSuggester needs a 'text' column (see "
                             "learn.sentence_table); got columns "
                             f"{', '.join(map(str, X.columns))}", parameter="X",
                             function="CodeSuggester", value=None)
    frame = X.reset_index(drop=True).copy()
    for column in (*TEXT_COLUMNS, *RULE_COLUMNS):
        frame[column] = frame[column].fillna("").astype(str) if column in frame else ""
    if "doc_id" not in frame:
        frame["doc_id"] = ""
    if "start" not in frame:
        frame["start"] = 0
    if "end" not in frame:
        frame["end"] = frame["text"].str.len()
    return frame


def study_masker(manifest: Any, documents: Iterable[Document],
                 codebook: Codebook | None = None) -> Masker:
    """The masker of a study: its manifest's groups and villages and ``mask`` lists
    (``mask: {people: [...], places: [...]}``), every document's group, village, informant
    and speakers, and the codebook's :attr:`~uppks_qual.records.Codebook.actors`."""
    return masker_for(groups=dict(manifest.groups), documents=documents,
                      actors=codebook.actors if codebook is not None else (),
                      extra_people=manifest.mask_people, extra_places=manifest.mask_places)
