"""A document as HTML: the original text with its coded spans underlined in code colours.

:func:`render_document` is a pure function (text and frames in, an HTML string out) rendered
from ``templates/document.html.j2`` with autoescaping on. Unlike spaCy's displaCy, which
re-joins tokens ("Pak , bagaimana ?"), every character of the text is kept as it is: strip
the tags from the ``uq-text`` element and unescape it, and you get the text back.

Layout
    With a segments frame, each speaker turn or paragraph is one block; a turn shows its
    speaker label (the ``P:`` of the text itself, or the segment's speaker) in a column of
    its own. Line breaks and spacing are the text's own (``white-space: pre-wrap``).
Codings
    Every coding is a bar under its characters in its code's colour, one bar per layer, as
    displaCy's span style draws them: codings that overlap get different layers, so two codes
    on the same characters are both visible. A negative coding's bar is dashed. Hovering
    shows the codes (label, valence, coder); a legend lists the codes shown.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ParameterError, SpanError
from .params import InstanceOf, Options, validate_params
from .records import SEGMENT_KINDS, Codebook, check_span

if TYPE_CHECKING:
    import jinja2

__all__ = ["HtmlPage", "document_blocks", "render_document"]

TEMPLATE = "document.html.j2"
CODING_COLUMNS = ("start", "end", "code_id", "valence")
"""Columns a codings frame needs (``coder`` is optional)."""
SEGMENT_COLUMNS = ("kind", "start", "end", "speaker")
"""Columns a segments frame needs; sentence rows are ignored."""
PALETTE: tuple[str, ...] = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                            "#CC79A7", "#999999")
"""Colours of codes when no codebook is given: Okabe and Ito's colour-blind safe palette (the
one the study's codebook uses); it repeats after eight codes."""
BAR, GAP = 3, 5
"""Height of a bar and distance between layers, in pixels."""
WORDS = {"en": {"codes": "Codes", "negative": "negative valence (dashed)"},
         "id": {"codes": "Kode", "negative": "valensi negatif (putus-putus)"}}

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$|^[a-zA-Z]{3,20}$")


@dataclass(frozen=True, slots=True)
class _Span:
    """One coding to draw: its offsets, layer, colour and what the tooltip says."""

    start: int
    end: int
    code_id: str
    layer: int
    colour: str
    negative: bool
    note: str
    coding_id: int | None = None


@validate_params({
    "text": [str], "codings": [InstanceOf(pd.DataFrame)],
    "codebook": [InstanceOf(Codebook), None], "segments": [InstanceOf(pd.DataFrame), None],
    "lang": [Options(*WORDS)], "title": [str, None]})
def render_document(text: str, codings: pd.DataFrame, *, codebook: Codebook | None = None,
                    segments: pd.DataFrame | None = None, lang: str = "en",
                    title: str | None = None) -> str:
    """HTML of a document's original text with its codings highlighted.

    Parameters
    ----------
    text : str
        The document's text (every character is kept, escaped).
    codings : DataFrame
        One row per coding of this document: ``start, end, code_id, valence`` and optionally
        ``coder`` (e.g. ``project.codings()`` filtered to the document). An empty frame
        renders the plain text.
    codebook : Codebook, optional
        Colours and labels of the codes; without it codes are labelled by id and coloured
        from :data:`PALETTE`.
    segments : DataFrame, optional
        Turns and paragraphs (``kind, start, end, speaker``) to lay out one per block, with
        the speaker label of each turn.
    lang : {"en", "id"}, default "en"
        Language of the code labels and the legend.
    title : str, optional
        A heading above the text.

    Returns
    -------
    str
        An HTML fragment (with its own ``<style>``), for a notebook or a file.

    Raises
    ------
    SpanError
        A coding or segment outside the text or empty, or segments that overlap.
    UnknownCodeError
        A code that is not in ``codebook``.

    Examples
    --------
    >>> frame = pd.DataFrame({"start": [3], "end": [8], "code_id": ["kas"],
    ...                       "valence": ["negative"]})
    >>> html = render_document("P: Kas kosong.", frame)
    >>> "uq-negative" in html and "Kas k" in html
    True
    """
    blocks, spans = document_blocks(text, codings, codebook=codebook, segments=segments,
                                    lang=lang, where=title or "document")
    context = {"title": title, "lang": lang, "words": WORDS[lang], "blocks": blocks,
               "layers": max((s.layer + 1 for s in spans), default=0),
               "legend": _legend(spans, codebook, lang),
               "negative": any(s.negative for s in spans)}
    return _environment().get_template(TEMPLATE).render(context)


def document_blocks(text: str, codings: pd.DataFrame, *, codebook: Codebook | None = None,
                    segments: pd.DataFrame | None = None, lang: str = "en",
                    where: str = "document",
                    cuts: Sequence[int] = ()) -> tuple[list[dict], list[_Span]]:
    """The layout :func:`render_document` draws, as data: blocks (one per turn or paragraph:
    ``kind, speaker, label, body``) of pieces, and the spans drawn.

    A piece is a run of characters covered by the same codings: ``text``, ``start`` and
    ``end`` (offsets in the document), ``ids`` (the ``coding_id`` of each coding on it, when
    the frame has that column), ``depth`` (the layers of bars under it), ``codes``, ``negative``, ``note`` and the CSS ``style`` of its
    bars. The pieces of all blocks, in order, tile the text exactly; ``cuts`` are more
    offsets where a piece ends (e.g. the edges of a passage to outline). The notebook workbench
    (:mod:`uppks_qual.workbench`) draws the same layout in the browser.

    Examples
    --------
    >>> frame = pd.DataFrame({"start": [3], "end": [6], "code_id": ["kas"],
    ...                       "valence": [None], "coding_id": [7]})
    >>> blocks, _ = document_blocks("P: Kas kosong.", frame)
    >>> [(p["start"], p["text"], p["ids"]) for p in blocks[0]["body"]]
    [(0, 'P: ', []), (3, 'Kas', [7]), (6, ' kosong.', [])]
    """
    spans = _spans(text, codings, codebook, lang, where)
    return _blocks(text, _units(text, segments, where), spans, cuts), spans


@functools.cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment of the package templates (autoescape on, strict undefined)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("uppks_qual", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _columns(frame: pd.DataFrame, needed: Sequence[str], name: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ParameterError(f"render_document: the {name} frame lacks column(s) "
                             f"{', '.join(missing)}; it needs {', '.join(needed)}",
                             parameter=name, function="render_document", value=missing)


def _spans(text: str, codings: pd.DataFrame, codebook: Codebook | None, lang: str,
           where: str) -> list[_Span]:
    """The codings as spans with a layer each (overlapping codings never share a layer)."""
    if codings.empty:
        return []
    _columns(codings, CODING_COLUMNS, "codings")
    rows = codings.to_dict("records")
    for row in rows:
        check_span(where, row["start"], row["end"], len(text))
    rows.sort(key=lambda r: (int(r["start"]), -int(r["end"])))
    ids = list(dict.fromkeys(str(r["code_id"]) for r in rows))
    layer_ends: list[int] = []
    out = []
    for row in rows:
        start, end, code_id = int(row["start"]), int(row["end"]), str(row["code_id"])
        layer = next((i for i, e in enumerate(layer_ends) if e <= start), len(layer_ends))
        layer_ends[layer:layer + 1] = [end]
        colour, label = _code_style(code_id, codebook, lang, ids)
        valence = row["valence"] if isinstance(row["valence"], str) else "neutral"
        coder = row.get("coder")
        note = f"{label} ({valence}{', ' + str(coder) if isinstance(coder, str) else ''})"
        ident = row.get("coding_id")
        out.append(_Span(start, end, code_id, layer, colour, valence == "negative", note,
                         None if ident is None or pd.isna(ident) else int(ident)))
    return out


def _code_style(code_id: str, codebook: Codebook | None, lang: str,
                ids: list[str]) -> tuple[str, str]:
    """``(colour, label)`` of a code: the codebook's, else a palette colour and the id."""
    if codebook is None:
        return PALETTE[ids.index(code_id) % len(PALETTE)], code_id
    code = codebook[code_id]
    colour = code.colour if _COLOUR.match(code.colour) else "#777777"
    return colour, code.label(lang)


def _units(text: str, segments: pd.DataFrame | None, where: str) -> list[tuple[int, int, Any]]:
    """Turns and paragraphs as ``(start, end, speaker)``, in order, checked."""
    if segments is None or segments.empty:
        return []
    _columns(segments, SEGMENT_COLUMNS, "segments")
    rows = segments[segments["kind"].isin([k for k in SEGMENT_KINDS if k != "sentence"])]
    units = []
    for row in rows.itertuples():
        check_span(where, row.start, row.end, len(text))
        speaker = row.speaker if isinstance(row.speaker, str) and row.speaker else None
        units.append((int(row.start), int(row.end), speaker))
    units.sort(key=lambda u: (u[0], u[1]))
    for (start, end, _), previous in zip(units, [(0, 0, None), *units], strict=False):
        if start < previous[1]:
            raise SpanError(f"segments [{previous[0]}, {previous[1]}) and [{start}, {end}) of "
                            f"{where!r} overlap; pass turns or paragraphs, not both",
                            offset=start, doc_id=where)
    return units


def _blocks(text: str, units: list[tuple[int, int, Any]], spans: list[_Span],
            extra: Sequence[int] = ()) -> list[dict]:
    """One block per unit: its label (the text between the previous unit's line and the unit
    on the unit's own line, e.g. ``I: ``) and its body (the unit and what follows it up to
    the next unit's line). Text before the first unit is a block of its own."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans),
                   *(int(x) for x in extra if 0 < x < len(text))})
    pieces = functools.partial(_pieces, text, cuts, spans)
    if not units:
        return [{"kind": "text", "speaker": None, "label": [], "body": pieces(0, len(text))}]
    blocks: list[dict] = []
    position = 0
    for start, end, speaker in units:
        line = text.rfind("\n", position, start) + 1 or position
        if blocks:
            blocks[-1]["body"] += pieces(position, line)
        elif line > 0:
            blocks.append({"kind": "text", "speaker": None, "label": [], "body": pieces(0, line)})
        turn = speaker is not None or _is_label(text[line:start])
        blocks.append({"kind": "turn" if turn else "paragraph", "speaker": speaker,
                       "label": pieces(line, start) if turn else [],
                       "body": ([] if turn else pieces(line, start)) + pieces(start, end)})
        position = end
    blocks[-1]["body"] += pieces(position, len(text))
    return blocks


def _is_label(text: str) -> bool:
    return bool(text.strip()) and text.rstrip().endswith(":")


def _pieces(text: str, cuts: list[int], spans: list[_Span], start: int, end: int) -> list[dict]:
    """``text[start:end]`` cut where a coding starts or ends, each piece with its style."""
    points = [start, *(c for c in cuts if start < c < end), end]
    out = []
    for a, b in itertools.pairwise(points):
        if a < b:
            on = sorted((s for s in spans if s.start <= a and b <= s.end), key=lambda s: s.layer)
            out.append({"text": text[a:b], "start": a, "end": b,
                        "ids": [s.coding_id for s in on if s.coding_id is not None],
                        "depth": max((s.layer + 1 for s in on), default=0),
                        "codes": " ".join(s.code_id for s in on),
                        "negative": any(s.negative for s in on),
                        "note": "; ".join(s.note for s in on), "style": _style(on)})
    return out


def _style(spans: list[_Span]) -> str:
    """CSS backgrounds drawing one bar per coding, at its layer (dashed when negative)."""
    if not spans:
        return ""
    images = [f"repeating-linear-gradient(90deg, {s.colour} 0 5px, transparent 5px 8px)"
              if s.negative else f"linear-gradient({s.colour}, {s.colour})" for s in spans]
    places = [f"0 calc(100% - {s.layer * GAP}px)" for s in spans]
    depth = max(s.layer for s in spans) + 1
    tint = spans[0].colour
    tint = f"; background-color: {tint}{'3' if len(tint) == 4 else '33'}" if tint[0] == "#" else ""
    return (f"background-image: {', '.join(images)}; background-position: {', '.join(places)};"
            f" background-size: 100% {BAR}px; padding-bottom: {depth * GAP}px{tint}")


def _legend(spans: list[_Span], codebook: Codebook | None, lang: str) -> list[dict]:
    """The codes shown, in codebook order (else in order of appearance), with counts."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.code_id] = counts.get(span.code_id, 0) + 1
    order = [c for c in codebook.ids if c in counts] if codebook is not None else list(counts)
    ids = list(dict.fromkeys(s.code_id for s in spans))
    return [dict(zip(("colour", "label"), _code_style(c, codebook, lang, ids), strict=True),
                 code_id=c, n=counts[c]) for c in order]


class HtmlPage(str):
    """HTML text that Jupyter renders as the output of a cell (it is a ``str`` otherwise)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)
