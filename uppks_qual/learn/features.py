"""The features of the learned auto-coder.

:class:`PassageText` masks names in the text columns and lemmatises them (cached per process
in ``_MASKED``, ``_LEMMAS`` and ``_TYPES``); :class:`_Vectorizer` makes the TF-IDF block of
one column (:class:`~uppks_qual.learn.CodeSuggester` puts one per column side by side).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, pairwise, repeat
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ..masking import TOKENS, Masker
from .tables import TEXT_COLUMNS

_MASK_FEATURES = {token: f"_{kind}_" for kind, token in TOKENS.items()}


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
    from ..nlp import get_nlp

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
