"""The one place that builds spaCy pipelines.

Everything runs on ``spacy.blank("id")``: no model is downloaded. The pipeline has

* the Indonesian tokenizer (:mod:`uppks_qual.tokenizer`: spaCy's rules, built in a tenth of
  a second; its output is the stock tokenizer's), with each word type's ``NORM`` set to its
  **lookup lemma**
  (from ``spacy-lookups-data``). ``NORM`` is a lexeme attribute, computed once per word type,
  so matching on lemmas costs almost nothing beyond tokenizing;
* a ``sentencizer``;
* the lookup ``lemmatizer`` (fills ``token.lemma_`` for users who want it; the auto-coder
  disables it and matches on ``NORM`` instead, which holds the same lemma).

Pipelines are built once per process and cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.lookups import Table

__all__ = ["LEMMA_ATTR", "get_nlp", "lemma_table", "lemmatize"]

#: The token attribute the matchers use for lemma patterns.
LEMMA_ATTR = "NORM"


@lru_cache(maxsize=1)
def lemma_table() -> Table:
    """The Indonesian lookup lemma table of ``spacy-lookups-data`` (word -> lemma).

    A spaCy ``Table``: keys are hashed, so look words up with ``table.get(word, default)``.
    """
    from spacy.lookups import load_lookups

    return load_lookups("id", ["lemma_lookup"]).get_table("lemma_lookup")


def lemmatize(word: str) -> str:
    """Lemma of one word (lower-cased), as the pipeline's ``NORM`` gives it.

    Examples
    --------
    >>> lemmatize("Pinjaman")
    'pinjam'
    """
    low = word.lower()
    return str(lemma_table().get(low, low))


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The cached ``blank("id")`` pipeline: tokenizer (NORM = lemma), sentencizer, lemmatizer.

    Examples
    --------
    >>> nlp = get_nlp()
    >>> [t.norm_ for t in nlp.make_doc("Pinjaman modal kelompok")]
    ['pinjam', 'modal', 'kelompok']
    """
    import spacy
    from spacy.attrs import NORM

    from .tokenizer import CONFIG

    table = lemma_table()
    nlp = spacy.blank("id", config=CONFIG)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    # spaCy's max_length (1,000,000 characters) protects the memory of a parser or NER, which
    # this pipeline has not; its tokenizer and sentencizer cost ~30 bytes per character. The
    # size of a text is bounded where it is read (uppks_qual.limits: max_text_chars) and the
    # corpus loader sentence-splits long turns in pieces (corpus.segment_document).
    nlp.max_length = 2**31 - 1
    # After initialize() (which resets the getters when it loads lookups) and before any text
    # is seen: a lexeme takes its NORM when it is first created.
    nlp.vocab.lex_attr_getters[NORM] = _NormGetter(table)
    return nlp


class _NormGetter:
    """Picklable ``NORM`` getter: the lower-cased word's lookup lemma."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __call__(self, string: str) -> str:
        low = string.lower()
        return self.table.get(low, low)
