"""Masking who and where: names of people, groups and places replaced by neutral tokens.

A model that sees "Mawar" or the Mawar chair's name learns *which group a sentence comes
from*, not what it says; a coder who sees them may code the group, not the passage. So both
the learned auto-coder's features and the passages shown to blind coders are masked first:

- every term of a :class:`Masker` (group and village names from the manifest, informant and
  speaker names from the documents' front matter, the codebook's ``actors``) becomes
  ``KELOMPOK`` (a group), ``TEMPAT`` (a village or place) or ``NAMA`` (a person);
- any capitalised word after an honorific (*Ibu, Pak, Bapak, Buya, Datuak, Datuk, Ustadz,
  Uni, Mak, Bu, Ni, Da, Tek*) is a person's name too, so a name the lists do not know is still
  masked (``Ibu Rosna`` -> ``Ibu NAMA``).

Role words (*ketua, PLKB, wali nagari*) are kept: they say what a passage is about. So are
``common`` words, those the material also writes in lower case: after an honorific (``Ibu
Ketua``, ``Pak Wali Nagari``) and as one word of a longer name (``Suami`` of "Suami Ibu
Nurhayati", ``Kecil`` of "Datuak Rajo Kecil"); the whole name is still masked.

Examples
--------
>>> m = Masker(groups=["Mawar"], places=["Bukit Tinggi Kecil"], people=["Sari Wulan"])
>>> m.mask("Ibu Sari Wulan, ketua Mawar di Bukit Tinggi Kecil, ditemani Pak Hasan.")
'Ibu NAMA, ketua KELOMPOK di TEMPAT, ditemani Pak NAMA.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HONORIFICS", "Masker", "masker_for"]

#: Words that introduce a person's name in Indonesian and Minangkabau speech.
HONORIFICS: tuple[str, ...] = ("Ibu", "Bu", "Pak", "Bapak", "Buya", "Datuak", "Datuk",
                               "Ustadz", "Ustad", "Uni", "Ni", "Mak", "Etek", "Tek", "Uda",
                               "Da", "Bundo", "Inyiak", "Angku", "Sutan", "Haji", "Hajjah")

_NAME = r"[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)*"
_AFTER_HONORIFIC = re.compile(rf"\b({'|'.join(HONORIFICS)})\s+{_NAME}")
#: Tokens that replace masked terms.
TOKENS = {"group": "KELOMPOK", "place": "TEMPAT", "person": "NAMA"}


@dataclass(frozen=True)
class Masker:
    """Replace group, place and person names with ``KELOMPOK``, ``TEMPAT`` and ``NAMA``.

    Matching is case-insensitive on whole words; longer terms win over shorter ones ("Kampung
    Baru" before "Kampung"). A person's first and last words are masked on their own too when
    they are capitalised names of three letters or more ("Sari Wulan" also masks "Sari"), as
    people are often called by one name.
    """

    groups: Iterable[str] = ()
    places: Iterable[str] = ()
    people: Iterable[str] = ()
    common: frozenset[str] = frozenset()
    _pattern: Any = field(default=None, init=False, repr=False, compare=False)
    _kind: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind: dict[str, str] = {}
        for what, terms in (("person", self.people), ("place", self.places),
                            ("group", self.groups)):
            for term in terms:
                term = " ".join(str(term).split())
                if len(term) < 2:
                    continue
                kind.setdefault(term.casefold(), what)
                if what == "person":
                    words = [w for w in term.split() if w[:1].isupper()]
                    words = [w for w in words if w not in HONORIFICS and len(w) >= 3
                             and w.casefold() not in self.common]
                    for w in words:
                        kind.setdefault(w.casefold(), "person")
        object.__setattr__(self, "_kind", kind)
        if kind:
            # longest first; grouped by first character (same matches, a much faster regex:
            # at each position only the terms starting with that character are tried)
            groups: dict[str, list[str]] = {}
            for t in sorted(kind, key=len, reverse=True):
                groups.setdefault(t[0], []).append(t)
            body = "|".join(
                re.escape(c) + "(?:" + "|".join(re.escape(t[1:]).replace(r"\ ", r"\s+")
                                                for t in ts) + ")"
                for c, ts in groups.items())
            object.__setattr__(self, "_pattern",
                               re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE))

    @property
    def terms(self) -> dict[str, str]:
        """Every masked term (case-folded) and what it is: group, place or person."""
        return dict(self._kind)

    def mask(self, text: str) -> str:
        """``text`` with every name replaced by its token (see the module docstring)."""
        text = _AFTER_HONORIFIC.sub(self._honorific, text)
        if self._pattern is None:
            return text
        return self._pattern.sub(
            lambda m: TOKENS[self._kind[" ".join(m.group(0).split()).casefold()]], text)

    def _honorific(self, m: re.Match[str]) -> str:
        """``Ibu NAMA`` for a name after an honorific; a role word (``Ibu Ketua``) is kept,
        and so is a known term (masked as what it is)."""
        name = " ".join(m.group(0).split()[1:])
        first = name.split()[0].casefold()
        if first in self.common or name.casefold() in self._kind or \
                any(t.startswith(m.group(0).casefold()) for t in self._kind):
            return m.group(0)
        return f"{m.group(1)} {TOKENS['person']}"

    def mask_all(self, texts: Iterable[str]) -> list[str]:
        """:meth:`mask` of each text."""
        return [self.mask(t) for t in texts]


def masker_for(*, groups: Mapping[str, str] | Iterable[str] = (),
               documents: Iterable[Any] = (), actors: Iterable[str] = (),
               extra_people: Iterable[str] = (), extra_places: Iterable[str] = ()) -> Masker:
    """The masker of a study: its groups and villages (``{group: village}`` of the manifest,
    or group names), every document's group, village, informant and declared speakers (front
    matter), the codebook's actors, and the manifest's ``mask:`` lists (``extra_people``,
    ``extra_places``). Words the documents also write in lower case are ``common``.

    Examples
    --------
    >>> from uppks_qual.records import Document
    >>> doc = Document("d", "I: Ya.", "Kenanga", "Koto Baru", "interview", "chair",
    ...                "Ibu Yusra", "2004", meta={"speakers": {"B": "Pembeli"}})
    >>> masker_for(groups={"Kenanga": "Koto Baru"}, documents=[doc]).mask(
    ...     "Yusra dari Kenanga, Koto Baru.")
    'NAMA dari KELOMPOK, TEMPAT.'
    """
    group_names = list(groups)
    places = (list(groups.values()) if isinstance(groups, Mapping) else []) + list(extra_places)
    people = list(actors) + list(extra_people)
    documents = list(documents)
    common = frozenset(w for doc in documents
                       for w in re.findall(r"(?<![\w'’-])[a-z][a-z'’]*", doc.text))
    for doc in documents:
        if doc.group:
            group_names.append(doc.group)
        if doc.village:
            places.append(doc.village)
        if doc.informant:
            people.append(doc.informant)
        speakers = dict(doc.meta.get("speakers") or {})
        people += [str(v) for k, v in speakers.items()
                   if k not in ("P", "I") and str(v)[:1].isupper()]
    return Masker(groups=_unique(group_names), places=_unique(places), people=_unique(people),
                  common=common)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(x).strip() for x in items if str(x).strip()))
