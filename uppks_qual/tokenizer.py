"""spaCy's Indonesian tokenizer, built in a tenth of a second instead of two and a half.

``spacy.blank("id")`` spends almost all of its start-up in ``Tokenizer.add_special_case``
for the ~16,000 exceptions of ``spacy.lang.id``. 15,577 of them are hyphenated words
(reduplications such as *anak-anak*, *kira-kira*, *sehari-hari*, and compounds such as
*asal-usul*) whose only effect is to keep the word whole: none splits it or sets a NORM.
This tokenizer keeps spaCy's prefix, suffix, infix and URL rules and the other ~390
exceptions (abbreviations with NORMs such as ``Jan.`` -> *Januari*, emoticons) as special
cases, and keeps the hyphenated words whole through ``token_match`` (a set lookup), which
spaCy consults at the same points of its algorithm.

The output is the stock tokenizer's: ``tests/test_tokenizer.py`` tokenizes the whole bundled
corpus, and every exception word in several punctuation contexts, with both and allows no
difference. It is registered as ``uppks_qual.indonesian_tokenizer.v1``, so a pipeline saved
with ``nlp.to_disk`` loads with ``spacy.load`` once this module is imported, and it survives
``to_bytes``/``from_bytes`` and pickling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import spacy
from spacy.lang.id import TOKENIZER_EXCEPTIONS
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

__all__ = ["CONFIG", "HYPHENATED", "IndonesianTokenizer", "WholeWords", "create_tokenizer"]

#: The hyphenated exceptions of ``spacy.lang.id``: words kept whole, nothing else.
HYPHENATED = frozenset(k for k in TOKENIZER_EXCEPTIONS if "-" in k and k[0].isalpha())
_RULES = {k: v for k, v in TOKENIZER_EXCEPTIONS.items() if k not in HYPHENATED}

#: ``spacy.blank("id", config=CONFIG)`` builds a pipeline with this tokenizer.
CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "uppks_qual.indonesian_tokenizer.v1"}}}


class WholeWords:
    """``token_match`` for the hyphenated exceptions: ``WholeWords().match("anak-anak")``.

    ``pattern`` is None so that spaCy's serialisation, which reads
    ``token_match.__self__.pattern``, writes no regular expression for it.
    """

    pattern = None

    def __init__(self, words: Iterable[str] = HYPHENATED) -> None:
        self.words = frozenset(words)

    def match(self, text: str) -> bool:
        """Whether ``text`` is one of the words kept whole."""
        return text in self.words

    def __reduce__(self) -> tuple[Any, ...]:
        return (WholeWords, (self.words,))


class IndonesianTokenizer(Tokenizer):
    """A spaCy ``Tokenizer`` whose ``token_match`` survives ``from_bytes``/``from_disk``
    (spaCy restores only a regular expression there, and this one is a set lookup)."""

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> Tokenizer:
        return self._keeping_match(super().from_bytes, bytes_data, exclude)

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> Tokenizer:
        return self._keeping_match(super().from_disk, path, exclude)

    def _keeping_match(self, load: Callable[..., Any], source: Any,
                       exclude: Iterable[str]) -> Tokenizer:
        match: Any = self.token_match  # type: ignore[has-type]
        load(source, exclude=exclude)
        if self.token_match is None:  # type: ignore[has-type]
            self.token_match = match
        return self


@spacy.registry.tokenizers("uppks_qual.indonesian_tokenizer.v1")
def create_tokenizer() -> Callable[[Language], Tokenizer]:
    """The registered factory: spaCy's Indonesian rules, hyphenated words by lookup."""

    def make(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        return IndonesianTokenizer(
            nlp.vocab, rules=_RULES,
            prefix_search=compile_prefix_regex(defaults.prefixes).search,
            suffix_search=compile_suffix_regex(defaults.suffixes).search,
            infix_finditer=compile_infix_regex(defaults.infixes).finditer,
            token_match=WholeWords().match, url_match=defaults.url_match)

    return make
