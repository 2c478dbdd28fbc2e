"""spaCy's Indonesian tokenizer, built in a tenth of a second instead of two and a half.

``spacy.blank("id")`` spends almost all of its start-up in ``Tokenizer.add_special_case``
for the ~16,000 exceptions of ``spacy.lang.id``. 15,577 of them are hyphenated words
(reduplications such as *anak-anak*, *kira-kira*, *sehari-hari*, and compounds such as
*asal-usul*) whose only effect is to keep the word whole: none splits it or sets a NORM.
This tokenizer keeps spaCy's prefix, suffix, infix and URL rules and the other ~390
exceptions (abbreviations with NORMs such as ``Jan.`` -> *Januari*, emoticons) as special
cases, and keeps the hyphenated words whole in the two places spaCy does:

* a whole piece of text left after stripping prefixes and suffixes (``kira-kira`` in
  ``(kira-kira),``) is looked up in a set by ``token_match``, where spaCy looks up its
  special cases;
* a word that an infix split broke (``ibu-ibu`` in ``ibu-ibu/bapak-bapak``, ``anak-anak``
  in ``x-anak-anak``) is put back together after tokenizing, as spaCy's special-case matcher
  does: the same token sequences, the same choice among overlapping ones (longest first, then
  leftmost; a span with whitespace inside takes part in the choice but is not merged), the
  same merged token (the word's lexeme, its whitespace after). Only texts holding a ``-``
  token are looked at.

The output is the stock tokenizer's: ``tests/test_tokenizer.py`` tokenizes the whole bundled
corpus, and every exception word in several punctuation and infix contexts, with both and
allows no difference. It is registered as ``uppks_qual.indonesian_tokenizer.v1``, so a
pipeline saved with ``nlp.to_disk`` loads with ``spacy.load`` once this module is imported,
and it survives ``to_bytes``/``from_bytes`` and pickling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import spacy
from spacy.lang.id import TOKENIZER_EXCEPTIONS
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

__all__ = ["CONFIG", "HYPHENATED", "UNCUT", "IndonesianTokenizer", "WholeWords",
           "create_tokenizer"]

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
    """A spaCy ``Tokenizer`` that puts infix-split hyphenated words back together (see the
    module docstring) and whose ``token_match`` survives ``from_bytes``/``from_disk`` (spaCy
    restores only a regular expression there, and this one is a set lookup)."""

    def __call__(self, string: str) -> Doc:
        doc = super().__call__(string)
        if "-" in string and len(doc) > 2:
            _rejoin(doc)
        return doc

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


#: Longest hyphenated exception, in tokens once cut at its hyphens (``W-W-W-W``: 7).
_LONGEST = 2 * max(w.count("-") for w in HYPHENATED) + 1
#: Hyphenated exceptions that spaCy's infix rules do not cut at their hyphens (so they never
#: need putting back together); every other one is cut into ``word - word ...``
#: (``tests/test_tokenizer.py`` checks both).
UNCUT = frozenset({"Dr.-Ing"})


def _rejoin(doc: Doc) -> None:
    """Merge the hyphenated exceptions that infix splits broke into pieces, choosing among
    overlapping candidates as spaCy's ``Tokenizer._filter_special_spans`` does."""
    from spacy.attrs import ORTH

    orth = doc.to_array([ORTH])
    marks = np.flatnonzero(orth == np.uint64(doc.vocab.strings["-"])).tolist()
    if not marks:
        return
    n, is_dash = len(doc), set(marks)
    texts: dict[int, str] = {}

    def text(i: int) -> str:
        found = texts.get(i)
        if found is None:
            found = texts[i] = doc[i].text
        return found

    found: list[tuple[int, int]] = []
    for p in marks:  # candidates W-W, W-W-W, W-W-W-W starting at the word before a dash
        s = p - 1
        if s < 0 or s in is_dash or "-" in text(s):
            continue
        for e in range(s + 3, min(s + _LONGEST, n) + 1, 2):
            if (e - 2) not in is_dash or (e - 1) in is_dash or "-" in text(e - 1):
                break
            word = "-".join(text(i) for i in range(s, e, 2))
            if word in HYPHENATED and word not in UNCUT:
                found.append((s, e))
    if not found:
        return
    seen: set[int] = set()
    keep: list[tuple[int, int]] = []
    for s, e in sorted(found, key=lambda span: (span[0] - span[1], span[0])):
        if s not in seen and e - 1 not in seen:
            keep.append((s, e))
        seen.update(range(s, e))
    glued = [(s, e) for s, e in keep if doc[s:e].text in HYPHENATED]  # no space inside
    if glued:
        with doc.retokenize() as retokenizer:
            for s, e in glued:
                retokenizer.merge(doc[s:e])


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
