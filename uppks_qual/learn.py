"""Suggesting codes with a model trained on manual codings: the learned auto-coder.

Like NVivo's "autocode from existing coding patterns", but reproducible and measured.
:class:`CodeSuggester` is a scikit-learn estimator. For each sentence it combines

* the words of the sentence (names masked, lemmatised; TF-IDF of uni- and bigrams),
* its context: the previous and next sentence and the interviewer's last question (TF-IDF,
  weighted by ``context_weight``),
* the rule-based coder's output (:mod:`uppks_qual.autocode`) for the sentence and the
  previous one: which factors its cues found, and their valence (weighted by
  ``rules_weight``),

in one logistic regression per factor (class weights balanced), plus logistic regressions for
the valence of a (sentence, factor) pair (one per valence, the most probable wins).

**Nothing about who speaks.** Names of groups, villages, places and people are replaced by
``KELOMPOK``, ``TEMPAT`` and ``NAMA`` before anything is featurised (``mask``, a
:class:`~uppks_qual.masking.Masker`; :func:`study_masker` builds the study's from its
manifest, documents and codebook), so the model cannot learn which group a sentence comes
from instead of what it says.

**Nothing fitted outside the training passages.** Every vectoriser is part of the
estimator's :class:`~sklearn.pipeline.Pipeline` and is fitted in :meth:`CodeSuggester.fit` on
the passages given, so in cross-validation (:func:`uppks_qual.evaluation.evaluate_coder`) and
cross-fitting (:func:`cross_fit_predict`) only on the training fold. The default
hyper-parameters were chosen by ``scripts/evaluate_coder.py`` (``GridSearchCV`` grouped by
document on the training passages ``data/coding/train*.csv`` only, never on the gold sample).

Inputs: a frame of passages (:func:`sentence_table` / :func:`passage_table`: text, context
and rules columns), a list of plain strings, or a list of
:class:`~uppks_qual.records.Document` (split into sentences, coded by the rules, and every
informant sentence coded). It codes any text: a new document, a new corpus, an abstract.

Examples
--------
>>> import pandas as pd
>>> from uppks_qual.learn import CodeSuggester
>>> train = pd.DataFrame({"text": [
...     "Ketua rajin memimpin rapat.", "Rapat sering batal, ketua jarang datang.",
...     "Modal kelompok bertambah tiap putaran.", "Modal macet, angsuran tidak dibayar.",
...     "Cuaca hari itu panas.", "Anak saya sekolah di kota."],
...     "codes": [{"leadership": "positive"}, {"leadership": "negative"},
...               {"capital": "positive"}, {"capital": "negative"}, {}, {}]})
>>> model = CodeSuggester(min_df=1).fit(train)
>>> model.factors_
('capital', 'leadership')
>>> model.predict(["Ketua kami rajin memimpin rapat."])[["factor", "valence"]]
       factor   valence
0  leadership  positive
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import chain, pairwise, repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone

from .errors import ImportProblem, ParameterError
from .evaluation import passage_factors
from .masking import TOKENS, Masker, masker_for
from .records import Codebook, Document

__all__ = ["CodeSuggester", "DocumentKFold", "PassageText", "RuleCoder", "coding_rows",
           "cross_fit_predict", "documents_table", "learned_codings", "passage_table",
           "rules_frame", "sentence_table", "study_masker", "training_files"]

#: Text columns of a passage frame (masked and lemmatised before featurising).
TEXT_COLUMNS = ("text", "previous", "next", "question")
#: Rule columns of a passage frame: the rule coder's factors and valences as tokens.
RULE_COLUMNS = ("rules", "rules_previous")
#: Columns of :meth:`CodeSuggester.predict`.
PREDICTION_COLUMNS = ("row", "doc_id", "start", "end", "text", "factor", "valence",
                      "probability")
_VALENCE_ORDER = {"negative": 0, "positive": 1, "neutral": 2}
_MASK_FEATURES = {token: f"_{kind}_" for kind, token in TOKENS.items()}
_MODEL_FORMAT = "uppks-qual CodeSuggester 1"


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


def documents_table(documents: Iterable[Document], *, codebook: Codebook | None = None,
                    skip_speakers: Collection[str] = ("P",)) -> pd.DataFrame:
    """:func:`sentence_table` of the sentences of ``documents`` spoken by informants (not by
    ``skip_speakers``), with the rule coder's output when a ``codebook`` is given and each
    document's ``group``.

    Each document is cut as the corpus loader cuts it
    (:func:`uppks_qual.corpus.document_segments`) and coded by
    :func:`uppks_qual.autocode.autocode_segments` at sentence unit.
    """
    from .autocode import autocode_segments
    from .corpus import document_segments, segments_frame

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
    from .corpus import DEFAULT_SPEAKERS
    from .textio import SPEAKER_LABEL, normalise

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


# --------------------------------------------------------------------------- features
_LEMMAS: dict[str, str] = {}
#: Per word type of the pipeline's vocabulary (ORTH hash): its lexeme's NORM hash, whether it
#: is kept (not punctuation or space), and the feature word (its lemma or mask feature).
_TYPES: dict[int, tuple[int, bool, str]] = {}
_TYPES_VOCAB: list[Any] = [None]


def _lemmas(texts: Sequence[str]) -> list[str]:
    """Lemmas (the pipeline's ``NORM``) of each text, punctuation dropped; mask tokens
    become ``_group_``, ``_place_``, ``_person_`` (not the words *kelompok*, *tempat*,
    *nama*). Cached by text."""
    from .nlp import get_nlp

    todo = [t for t in dict.fromkeys(texts) if t not in _LEMMAS]
    if todo:
        if len(_LEMMAS) > 200_000:
            _LEMMAS.clear()
        nlp = get_nlp()
        for a in range(0, len(todo), 4096):
            chunk = todo[a:a + 4096]
            _LEMMAS.update(zip(chunk, _lemma_strings(nlp, chunk), strict=True))
    return [_LEMMAS[t] if t in _LEMMAS else _lemmas([t])[0] for t in texts]


def _lemma_strings(nlp: Any, texts: Sequence[str]) -> list[str]:
    """What :func:`_lemmas` caches, from the tokens' ``ORTH`` and ``NORM`` arrays: the
    ``" ".join`` of each kept token's feature word, as ``Token.norm_`` and the lexeme flags
    ``is_punct``/``is_space`` give it, without making a ``Token`` object per token."""
    from spacy.attrs import NORM, ORTH

    arrays = [doc.to_array([ORTH, NORM]) for doc in nlp.tokenizer.pipe(texts, batch_size=512)]
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    if not lengths.sum():
        return [""] * len(texts)
    both = np.concatenate(arrays)
    orth, norm = both[:, 0], both[:, 1]
    types, inverse = np.unique(orth, return_inverse=True)
    info = [_word_type(nlp.vocab, o) for o in types.tolist()]
    lex_norm = np.array([i[0] for i in info], dtype=np.uint64)[inverse]
    keep = np.array([i[1] for i in info], dtype=bool)[inverse]
    words = np.array([i[2] for i in info], dtype=object)[inverse]
    strings = nlp.vocab.strings
    for k in np.flatnonzero(norm != lex_norm).tolist():  # a NORM set on the token itself
        words[k] = _MASK_FEATURES.get(strings[int(orth[k])], strings[int(norm[k])])
    kept = np.repeat(np.arange(len(texts)), lengths)[keep]
    bounds = [0, *np.cumsum(np.bincount(kept, minlength=len(texts))).tolist()]
    out = words[keep].tolist()
    return [" ".join(out[a:b]) for a, b in pairwise(bounds)]


def _word_type(vocab: Any, orth: int) -> tuple[int, bool, str]:
    """``(NORM hash, kept, feature word)`` of a word type, cached per vocabulary."""
    if _TYPES_VOCAB[0] is not vocab or len(_TYPES) > 500_000:
        _TYPES.clear()
        _TYPES_VOCAB[0] = vocab
    found = _TYPES.get(orth)
    if found is None:
        lex = vocab[orth]
        found = (lex.norm, not (lex.is_punct or lex.is_space),
                 _MASK_FEATURES.get(lex.orth_, lex.norm_))
        _TYPES[orth] = found
    return found


class PassageText(TransformerMixin, BaseEstimator):
    """The first step of the features: mask names in the text columns, then lemmatise.

    Stateless (nothing is learned); the rule columns pass through unchanged.

    Parameters
    ----------
    mask : Masker, None or False
        The names to mask; ``None``: only names after an honorific (*Ibu*, *Pak* ...);
        ``False``: no masking.
    """

    def __init__(self, mask: Masker | bool | None = None) -> None:
        self.mask = mask

    def fit(self, X: pd.DataFrame, y: Any = None) -> PassageText:
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X``'s text columns masked and lemmatised."""
        masker = Masker() if self.mask is None or self.mask is True else self.mask
        out = X.copy()
        for column in TEXT_COLUMNS:
            texts = out[column].astype(str).tolist()
            if masker is not False:
                texts = _masked(masker, texts)
            out[column] = _lemmas(texts)
        return out


_MASKED: dict[tuple[str, str], str] = {}


def _masked(masker: Masker, texts: Sequence[str]) -> list[str]:
    """``masker.mask`` of each text, cached by the masker's terms and the text (a grid
    search masks the same passages hundreds of times)."""
    terms = "\n".join(f"{t}\t{k}" for t, k in sorted(masker.terms.items()))  # hashed once
    if len(_MASKED) > 400_000:
        _MASKED.clear()
    done: dict[str, str] = {}
    for text in dict.fromkeys(texts):
        key = (terms, text)
        found = _MASKED.get(key)
        if found is None:
            found = _MASKED[key] = masker.mask(text)
        done[text] = found
    return [done[text] for text in texts]


class _Vectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF of whitespace tokens that tolerates a column with no terms (no context at
    all): it then adds no features."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 1), min_df: int = 2,
                 binary: bool = False) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.binary = binary

    def fit(self, X: Any, y: Any = None) -> _Vectorizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        options = ({"use_idf": False, "norm": None} if self.binary else {"sublinear_tf": True})
        vectorizer = TfidfVectorizer(token_pattern=r"(?u)\S+", lowercase=False,
                                     ngram_range=self.ngram_range, binary=self.binary,
                                     min_df=min(self.min_df, max(len(X), 1)), **options)
        try:
            vectorizer.fit(list(X))
        except ValueError:  # empty vocabulary: no terms (or none frequent enough)
            self.vectorizer_ = None
        else:
            if hasattr(vectorizer, "stop_words_"):
                vectorizer.stop_words_ = None  # pruned terms: not needed, large to store
            self.vectorizer_ = vectorizer
        return self

    def transform(self, X: Any) -> Any:
        from scipy.sparse import csr_matrix

        if self.vectorizer_ is None:  # one empty column (a ColumnTransformer needs one)
            return csr_matrix((len(X), 1))
        docs = X.tolist() if hasattr(X, "tolist") else list(X)
        tfidf = getattr(self.vectorizer_, "_tfidf", None)
        distinct = dict.fromkeys(docs)  # rows are independent: each distinct text once
        if tfidf is None or not docs or not _plain_words(self.vectorizer_) \
                or not all(isinstance(d, str) for d in distinct):
            return self.vectorizer_.transform(docs)
        counts = _word_counts(list(distinct), self.vectorizer_)
        if self.vectorizer_.binary:
            counts.data.fill(1)
        out = tfidf.transform(counts, copy=False)
        if len(distinct) == len(docs):
            return out
        position = {d: i for i, d in enumerate(distinct)}
        return out[np.fromiter(map(position.__getitem__, docs), dtype=np.int64,
                               count=len(docs))]


def _plain_words(vectorizer: Any) -> bool:
    """Whether ``vectorizer`` is the one :class:`_Vectorizer` fits: words are the
    whitespace-separated tokens as written, unigrams or uni- and bigrams."""
    params = vectorizer.get_params()
    return (params["analyzer"] == "word" and params["token_pattern"] == r"(?u)\S+"
            and params["input"] == "content" and not params["lowercase"]
            and params["tokenizer"] is None and params["preprocessor"] is None
            and params["stop_words"] is None and params["strip_accents"] is None
            and tuple(params["ngram_range"]) in ((1, 1), (1, 2))
            and isinstance(vectorizer.vocabulary_, dict))


def _word_counts(docs: list[str], vectorizer: Any) -> Any:
    """The count matrix ``CountVectorizer.transform`` makes for ``vectorizer`` (a
    :func:`_plain_words` one), with the same entries, order and types, built with arrays
    instead of a Python loop per word."""
    vocabulary = vectorizer.vocabulary_
    words = [d.split() for d in docs]  # = the token pattern \S+
    flat = list(chain.from_iterable(words))
    ids = np.fromiter(map(vocabulary.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    row = np.repeat(np.arange(len(docs), dtype=np.int64),
                    np.fromiter(map(len, words), dtype=np.int64, count=len(words)))
    if vectorizer.ngram_range[1] == 2 and len(flat) > 1:
        pairs = np.fromiter(map(vocabulary.get, map(" ".join, pairwise(flat)), repeat(-1)),
                            dtype=np.int64, count=len(flat) - 1)
        same = row[1:] == row[:-1]
        ids, row = np.concatenate([ids, pairs[same]]), np.concatenate([row, row[:-1][same]])
    width = len(vocabulary)
    cells, counts = np.unique(row[ids >= 0] * width + ids[ids >= 0], return_counts=True)
    index = np.int64 if len(cells) > np.iinfo(np.int32).max else np.int32
    indptr = np.zeros(len(docs) + 1, dtype=index)
    np.cumsum(np.bincount(cells // width, minlength=len(docs)), out=indptr[1:])
    like = type(vectorizer.transform([""]))  # csr_matrix or csr_array, as scikit-learn makes
    out = like((counts.astype(np.intc), (cells % width).astype(index), indptr),
               shape=(len(docs), width), dtype=vectorizer.dtype)
    out.sort_indices()
    return out


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
                 C: float = 8.0, threshold: float = 0.5, context_weight: float = 0.25,
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
        from .params import Interval, check_param

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

        from ._version import __version__

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
            from .errors import warn

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
