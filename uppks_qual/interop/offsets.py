"""Normalising imported text while keeping character positions valid.

Other tools count ``startPosition``/``endPosition`` in the text *they* wrote, which may have
CRLF line ends or decomposed (NFD) accents. A project stores the normalised text (LF, NFC:
see :func:`uppks_qual.textio.normalise`), so every imported position is mapped from the raw
text to the normalised one with an :class:`OffsetMap`.

The raw text is cut into *chunks* that normalise independently: a CR or CRLF line end, or a
character followed by the combining marks (and composing jamo/vowel signs) that attach to
it. Concatenating the normalised chunks gives exactly ``normalise(raw)``. A position at a
chunk boundary maps exactly; a position inside a chunk (between ``e`` and its combining
acute, or between CR and LF) is moved outwards: a start to the start of its chunk, an end to
the end of its chunk, so a selection never loses the characters it touched.
"""

from __future__ import annotations

import bisect
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

__all__ = ["OffsetMap", "normalise_with_offsets"]

# Hangul vowel and trailing-consonant jamo compose with the syllable before them.
_HANGUL_V = range(0x1161, 0x1176)
_HANGUL_T = range(0x11A8, 0x11C3)


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """The normalised ``text`` of a raw text and the map from raw to normalised positions.

    ``old`` and ``new`` are the chunk starts in the raw and the normalised text; both are
    empty when the raw text was already normalised (positions are then unchanged).
    """

    text: str
    raw_length: int
    old: tuple[int, ...] = ()
    new: tuple[int, ...] = ()

    @property
    def identity(self) -> bool:
        """Whether positions are unchanged (the raw text was already LF and NFC)."""
        return not self.old

    def start(self, pos: int) -> int:
        """Normalised position of a start at raw ``pos`` (moved back if inside a chunk)."""
        if self.identity:
            return pos
        if pos >= self.raw_length:
            return len(self.text)
        return self.new[bisect.bisect_right(self.old, pos) - 1]

    def end(self, pos: int) -> int:
        """Normalised position of an end at raw ``pos`` (moved on if inside a chunk)."""
        if self.identity:
            return pos
        if pos >= self.raw_length:
            return len(self.text)
        k = bisect.bisect_right(self.old, pos) - 1
        if self.old[k] == pos:
            return self.new[k]
        return self.new[k + 1] if k + 1 < len(self.new) else len(self.text)


def normalise_with_offsets(raw: str) -> OffsetMap:
    """Normalise ``raw`` (CRLF/CR to LF, Unicode NFC) and map positions into the result.

    Examples
    --------
    >>> m = normalise_with_offsets("Ya\\r\\nCafe\\u0301 enak")
    >>> m.text
    'Ya\\nCafé enak'
    >>> m.start(4), m.end(9), m.text[m.start(4):m.end(9)]
    (3, 7, 'Café')
    """
    if "\r" not in raw and unicodedata.is_normalized("NFC", raw):
        return OffsetMap(raw, len(raw))
    old: list[int] = []
    new: list[int] = []
    parts: list[str] = []
    length = 0
    for start, piece in _chunks(raw):
        old.append(start)
        new.append(length)
        parts.append(piece)
        length += len(piece)
    return OffsetMap("".join(parts), len(raw), tuple(old), tuple(new))


def _chunks(raw: str) -> Iterator[tuple[int, str]]:
    """Yield ``(raw_start, normalised_chunk)`` for chunks that normalise independently."""
    i, n = 0, len(raw)
    while i < n:
        if raw[i] == "\r":
            j = i + 2 if raw.startswith("\r\n", i) else i + 1
            yield i, "\n"
        else:
            j = i + 1
            while j < n and raw[j] != "\r" and _attaches(raw[j]):
                j += 1
            yield i, unicodedata.normalize("NFC", raw[i:j])
        i = j


def _attaches(char: str) -> bool:
    """Whether NFC may combine ``char`` with the character before it."""
    return unicodedata.combining(char) != 0 or ord(char) in _composing_starters()


@cache
def _composing_starters() -> frozenset[int]:
    """Starters (combining class 0) that are the second half of a canonical composition."""
    found = set(_HANGUL_V) | set(_HANGUL_T)
    for cp in range(min(sys.maxunicode, 0x2FFFF) + 1):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = int(parts[1], 16)
            if unicodedata.combining(chr(second)) == 0:
                found.add(second)
    return frozenset(found)
