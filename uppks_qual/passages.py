"""Who speaks where: the passages of a document and the case each coding belongs to.

A document's text is made of **passages** of four kinds (:data:`PASSAGE_KINDS`):

- ``turn``: what one person says in an interview, after a speaker label (``I:``, ``B:``);
- ``paragraph``: a paragraph of an observation or document note (the material observed or
  read, not the researcher's opinion of it);
- ``question``: a turn of the interviewer (a label in the manifest's ``interviewer_labels``);
- ``note``: the researcher's own words inside the material: anything in square brackets
  (``[tertawa]``, ``[Kesan saya, buku ini memang dipakai ...]``), except a bare time stamp
  such as ``[09.15]`` that opens an observation paragraph.

Questions and notes are the researcher speaking, so :func:`uppks_qual.analysis.evidence`
leaves their codings out unless asked (``include_notes=True``).

A **case** is the unit a reviewer counts: the person who said a passage (the speaker of an
interview turn, mapped to a name and role by the front matter's ``speakers:``), or, for
observation and document notes, which have no informant, the source document itself.
:func:`locate` gives every coding its ``speaker``, ``informant``, ``informant_role``,
``case`` and ``kind``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .corpus import DEFAULT_SPEAKERS, split_units
from .records import PASSAGE_KINDS, Document

__all__ = ["PASSAGE_KINDS", "Speaker", "locate", "note_spans", "passages", "speakers",
           "with_context"]

#: A bracketed aside on one line: ``[tertawa]``, ``[Kesan saya: ...]``.
_NOTE = re.compile(r"\[[^\[\]\n]*\]")
#: A bracketed time stamp (``[09.15]``, ``[9:15]``): a time, not an aside.
_STAMP = re.compile(r"^\[\d{1,2}[.:]\d{2}\]$")


@dataclass(frozen=True, slots=True)
class Speaker:
    """A person who speaks in a document: speaker ``label``, ``name`` and ``role``."""

    label: str
    name: str
    role: str


def note_spans(text: str) -> list[tuple[int, int]]:
    """The researcher's bracketed asides in ``text``: ``[start, end)`` of each, brackets
    included; bare time stamps (``[09.15]``) are not asides.

    Examples
    --------
    >>> text = "[09.15] Ketua membuka rapat. [Ia tampak lelah.] Anggota hadir."
    >>> [text[s:e] for s, e in note_spans(text)]
    ['[Ia tampak lelah.]']
    """
    return [m.span() for m in _NOTE.finditer(text) if not _STAMP.match(m.group())]


def speakers(doc: Document, *, interviewer_labels: Sequence[str] = ("P",)) -> dict[str, Speaker]:
    """Every speaker label of an interview mapped to the person behind it.

    ``I`` is the document's informant (``informant``, ``informant_role``); an interviewer label
    is the document's ``interviewer`` (role ``researcher``); any other label is the person the
    front matter's ``speakers:`` declares, as a name (``B: Buya Syamsul``, role unknown) or a
    mapping (``B: {name: Buya Syamsul, role: informal_leader}``).

    Examples
    --------
    >>> doc = Document("d", "P: Apa?\\nI: Ya.\\nB: Betul.", "A", "", "interview", "member",
    ...                "Ibu Sari", "2004", meta={"speakers": {"B": "Buya Syamsul"},
    ...                "speaker_roles": {"B": "informal_leader"}})
    >>> speakers(doc)["B"]
    Speaker(label='B', name='Buya Syamsul', role='informal_leader')
    """
    meta = doc.meta
    names = {**DEFAULT_SPEAKERS, **{str(k): str(v) for k, v in
                                    dict(meta.get("speakers") or {}).items()}}
    roles = {str(k): str(v) for k, v in dict(meta.get("speaker_roles") or {}).items()}
    out: dict[str, Speaker] = {}
    for label, name in names.items():
        if label == "I":
            out[label] = Speaker(label, doc.informant or doc.doc_id, doc.informant_role)
        elif label in interviewer_labels:
            who = str(meta.get("interviewer") or "interviewer")
            out[label] = Speaker(label, who, "researcher")
        else:
            out[label] = Speaker(label, name, roles.get(label, ""))
    return out


def passages(doc: Document, *, interviewer_labels: Sequence[str] = ("P",)) -> pd.DataFrame:
    """The passages of one document, in text order: ``start, end, kind, speaker, informant,
    informant_role, case`` (see the module docstring). Notes are cut out of the turn or
    paragraph around them, so passages never overlap.

    Examples
    --------
    >>> doc = Document("d", "P: Apa?\\nI: Rapat rutin. [tertawa]", "A", "", "interview",
    ...                "chair", "Ibu Ratna", "2004")
    >>> passages(doc)[["kind", "speaker", "case"]].to_numpy().tolist()
    [['question', 'P', 'interviewer'], ['turn', 'I', 'Ibu Ratna'], ['note', 'I', 'Ibu Ratna']]
    """
    interview = doc.source_type == "interview"
    people = speakers(doc, interviewer_labels=interviewer_labels) if interview else {}
    notes = note_spans(doc.text)
    rows: list[dict[str, Any]] = []
    for unit in split_units(doc.text, interview=interview, doc_id=doc.doc_id):
        person = people.get(unit.speaker or "")
        if person is None:  # a note document, or text before the first turn
            kind, name, role, case = "paragraph", doc.informant, doc.informant_role, doc.doc_id
        else:
            kind = "question" if unit.speaker in interviewer_labels else "turn"
            name, role, case = person.name, person.role, person.name
        base = {"speaker": unit.speaker, "informant": name, "informant_role": role,
                "case": case}
        cursor = unit.start
        for s, e in notes:
            if s >= unit.end or e <= unit.start:
                continue
            s, e = max(s, unit.start), min(e, unit.end)
            if s > cursor:
                rows.append({"start": cursor, "end": s, "kind": kind, **base})
            rows.append({"start": s, "end": e, "kind": "note", **base})
            cursor = e
        if cursor < unit.end:
            rows.append({"start": cursor, "end": unit.end, "kind": kind, **base})
    return pd.DataFrame(rows, columns=["start", "end", "kind", "speaker", "informant",
                                       "informant_role", "case"])


def locate(codings: pd.DataFrame, documents: Mapping[str, Document], *,
           interviewer_labels: Sequence[str] = ("P",)) -> pd.DataFrame:
    """Give each coding the passage it comes from: a copy of ``codings`` with ``speaker``,
    ``informant``, ``informant_role``, ``case`` and ``kind`` set.

    A coding is a ``note`` (or ``question``) when more than half of its characters lie in such
    passages; otherwise it belongs to the turn or paragraph it overlaps most, and takes that
    passage's speaker and case. Codings of documents not in ``documents`` keep their columns.
    """
    out = codings.copy()
    for col in ("speaker", "case", "kind"):
        if col not in out.columns:
            out[col] = None
    for col in ("speaker", "case", "kind", "informant", "informant_role"):
        out[col] = out[col].astype(object)
    for doc_id, rows in out.groupby("doc_id", sort=False).groups.items():
        doc = documents.get(str(doc_id))
        if doc is None:
            continue
        table = passages(doc, interviewer_labels=interviewer_labels)
        if table.empty:
            continue
        idx = np.asarray(rows)
        starts = out.loc[idx, "start"].to_numpy(int)
        ends = out.loc[idx, "end"].to_numpy(int)
        ps, pe = table["start"].to_numpy(int), table["end"].to_numpy(int)
        # characters of each coding inside each passage: (codings x passages)
        overlap = np.clip(np.minimum(ends[:, None], pe[None, :])
                          - np.maximum(starts[:, None], ps[None, :]), 0, None)
        researcher = table["kind"].isin(["note", "question"]).to_numpy()
        own = np.where(researcher[None, :], 0, overlap)
        spoken = own.sum(axis=1)
        best = np.where(spoken * 2 >= (ends - starts), own.argmax(axis=1), overlap.argmax(axis=1))
        picked = table.iloc[best].reset_index(drop=True)
        for col in ("speaker", "informant", "informant_role", "case", "kind"):
            out.loc[idx, col] = picked[col].to_numpy(object)
    return out


def with_context(frame: pd.DataFrame, texts: Mapping[str, str],
                  segments: pd.DataFrame | None, context: int | str) -> pd.DataFrame:
    """``frame`` (codings) with ``before``, ``after`` and ``passage``: the text around each
    coding (``Project.query``), computed document by document."""
    starts, ends = frame["start"].to_numpy(int), frame["end"].to_numpy(int)
    lo, hi = starts.copy(), ends.copy()
    if segments is not None:
        by_doc = dict(tuple(segments.groupby("doc_id", sort=False)))
        for doc_id, rows in frame.groupby("doc_id", sort=False).indices.items():
            if doc_id in by_doc:
                lo[rows], hi[rows] = _window(starts[rows], ends[rows], by_doc[doc_id], context)
    docs = frame["doc_id"].to_numpy(object)

    def cut(left: np.ndarray, right: np.ndarray) -> list[str]:
        return [" ".join(texts[d][a:b].split()) for d, a, b in zip(docs, left, right,
                                                                   strict=True)]

    return frame.assign(before=cut(lo, starts), after=cut(ends, hi), passage=cut(lo, hi))


def _window(a: np.ndarray, b: np.ndarray, segs: pd.DataFrame,
            context: int | str) -> tuple[np.ndarray, np.ndarray]:
    """Where the text shown around codings ``[a, b)`` of one document starts and ends: from
    ``context`` sentences before to ``context`` sentences after, within the turn or paragraph
    the coding starts (ends) in, or that whole turn or paragraph (``"turn"``)."""
    units = segs[segs["kind"] != "sentence"].sort_values("start")
    if units.empty:
        return a, b
    us, ue = units["start"].to_numpy(int), units["end"].to_numpy(int)
    ua = np.searchsorted(us, a, "right") - 1  # the unit each coding starts in ...
    ub = np.searchsorted(us, b - 1, "right") - 1  # ... and ends in
    in_a = (ua >= 0) & (a < ue[ua.clip(0)])
    in_b = (ub >= 0) & (b - 1 < ue[ub.clip(0)])
    ua, ub = ua.clip(0), ub.clip(0)
    if context == "turn":
        return (np.where(in_a, np.minimum(us[ua], a), a),
                np.where(in_b, np.maximum(ue[ub], b), b))
    n = int(context)
    sents = segs[segs["kind"] == "sentence"].sort_values("start")
    if sents.empty:
        return a, b
    ss, se = sents["start"].to_numpy(int), sents["end"].to_numpy(int)
    # the sentences of one unit are contiguous: the first and last index of each unit's
    own = pd.Series(np.arange(len(sents))).groupby(
        pd.Index(units["segment_id"]).get_indexer(sents["parent"]))
    first = own.min().reindex(range(len(units)), fill_value=-1).to_numpy(int)
    last = own.max().reindex(range(len(units)), fill_value=-1).to_numpy(int)
    i0 = np.searchsorted(se, a, "right")  # the first sentence ending after a
    j1 = np.searchsorted(ss, b, "left") - 1  # the last sentence starting before b
    k0 = np.clip(i0 - n, first[ua], last[ua]).clip(0)
    k1 = np.clip(j1 + n, first[ub], last[ub]).clip(0)
    return (np.where(in_a & (first[ua] >= 0), np.minimum(a, ss[k0]), a),
            np.where(in_b & (first[ub] >= 0), np.maximum(b, se[k1]), b))
