"""The coding workbench: code a document by hand in Jupyter, and review suggestions.

``project.workbench(doc_id)`` returns a :class:`Workbench`, an `anywidget
<https://anywidget.dev>`_ widget that shows in JupyterLab and Notebook 7:

* the document laid out as a transcript (one block per speaker turn or paragraph), its
  codings drawn as bars in the codebook's colours (overlaps on layers of their own, negative
  valence dashed), and a document picker showing each document's group and attributes;
* the codebook as a tree, labelled in English or Indonesian, definitions on hover, with a
  filter box;
* select text with the mouse (widened to whole words; hold Alt to take whole sentences),
  pick a code, a valence and an optional memo: the coding is written at once through
  :meth:`Project.code`, with its checks and errors (an error is shown in the widget and
  nothing is written); click a coded passage to change its code, valence or memo or remove it
  (:meth:`Project.recode`, :meth:`Project.uncode`: both are in the project's history);
* a suggestions mode walking through the automatic coder's suggestions for the document,
  with accept, reject and change-code buttons and keys (``a``, ``r``, ``c``, ``j``/``k``),
  recorded as reviews (:meth:`Project.review`);
* a coder selector, a view filter (coder, origin, code) and a count of codings per factor
  for the document that follows every change.

The widget keeps nothing of its own but what it shows (document, coder, filter, mode):
everything drawn is read back from the project after each change, so a workbench opened
again shows the same codings, and every workbench open on the same project in the kernel is
refreshed after a change (one in another process: press *refresh*). The browser side
(``templates/workbench.js``) only draws and sends messages; :meth:`Workbench.handle` does
the work, so it can be called (and is tested) without a browser.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from .display import document_blocks
from .errors import ParameterError, QualError
from .records import ORIGINS, VALENCES
from .review import STRATEGIES
from .store import check_coder, same_place
from .textio import snap_span

__all__ = ["ACTIONS", "Workbench"]

_HERE = Path(__file__).parent / "templates"

#: What the browser can ask of :meth:`Workbench.handle` (the ``action`` of a message).
ACTIONS: tuple[str, ...] = ("open", "select", "code", "recode", "remove", "coder", "view",
                            "mode", "accept", "reject", "lang", "refresh")
_OPEN: dict[str, weakref.WeakSet[Workbench]] = {}
#: Document columns the picker does not show: where the file was and its size and hash.
_BOOKKEEPING = ("path", "sha256", "n_words", "n_chars")


class Workbench(anywidget.AnyWidget):
    """A coding workbench on one project (make it with :meth:`Project.workbench`).

    Every synchronised trait is read from the project by :meth:`refresh`; the browser
    changes nothing but through :meth:`handle`. ``project`` is a
    :class:`~uppks_qual.project.Project` (typed loosely here: this module sits above the
    project in the import graph and imports nothing from it).

    Examples
    --------
    >>> wb = project.workbench("doc1", coder="coder1")                 # doctest: +SKIP
    >>> wb                                  # the widget, in a notebook  # doctest: +SKIP
    >>> wb.handle({"action": "code", "start": 120, "end": 164,          # doctest: +SKIP
    ...            "code_id": "leadership", "valence": "positive"})
    {'ok': True, 'coding_id': 57}
    """

    _esm = _HERE / "workbench.js"
    _css = _HERE / "workbench.css"

    documents: traitlets.List[Any] = traitlets.List().tag(sync=True)
    doc_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    blocks: traitlets.List[Any] = traitlets.List().tag(sync=True)
    codings: traitlets.List[Any] = traitlets.List().tag(sync=True)
    codebook: traitlets.List[Any] = traitlets.List().tag(sync=True)
    counts: traitlets.List[Any] = traitlets.List().tag(sync=True)
    coders: traitlets.List[Any] = traitlets.List().tag(sync=True)
    coder = traitlets.Unicode("").tag(sync=True)
    view = traitlets.Dict().tag(sync=True)
    origins: traitlets.List[Any] = traitlets.List(list(ORIGINS)).tag(sync=True)
    valences: traitlets.List[Any] = traitlets.List(list(VALENCES)).tag(sync=True)
    lang = traitlets.Unicode("en").tag(sync=True)
    mode = traitlets.Unicode("code").tag(sync=True)
    strategy = traitlets.Unicode("uncertain").tag(sync=True)
    suggestions: traitlets.List[Any] = traitlets.List().tag(sync=True)
    selection = traitlets.Dict().tag(sync=True)
    message = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    def __init__(self, project: Any, doc_id: str | None = None, *,
                 coder: str | None = None, suggested_by: str = "auto",
                 lang: str = "en") -> None:
        super().__init__()
        self.project = project
        self.suggested_by = suggested_by
        humans = self._humans()
        ids = list(project.documents()["doc_id"])
        if doc_id is not None:
            project.document(doc_id)
        elif not ids:
            raise ParameterError("the project has no documents to code; add some with "
                                 "project.add_documents(...)", parameter="doc_id",
                                 function="Project.workbench", value=None)
        self._set("lang", lang, ("en", "id"))
        self.coder = coder if coder is not None else (humans[0] if humans else "")
        if coder is not None:
            self._check_coder(coder)
        self.doc_id = doc_id if doc_id is not None else ids[0]
        self.view = {"coder": [], "origin": [], "code": ""}
        self.on_msg(self._on_msg)
        _OPEN.setdefault(same_place(project.location), weakref.WeakSet()).add(self)
        self.refresh()

    # ------------------------------------------------------------------ browser messages
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        reply = self.handle(content)
        self.send({"reply": reply, "to": content.get("id") if isinstance(content, dict)
                   else None})

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out one message from the browser and return the reply.

        ``message["action"]`` is one of :data:`ACTIONS`; the other keys are its arguments
        (``start``, ``end``, ``code_id``, ``valence``, ``memo``, ``coding_id``,
        ``suggestion_id``, ``doc_id``, ``coder``, ...). A user error (an unknown code, a
        span out of range, a suggestion reviewed meanwhile, a message the widget does not
        know) is returned as ``{"ok": False, "error": ...}`` and shown in the widget; nothing
        is written then. After a change, every workbench on the project in this kernel is
        refreshed.
        """
        try:
            if not isinstance(message, Mapping):
                raise ParameterError("a workbench message is a mapping with an 'action'",
                                     parameter="message", function="Workbench.handle",
                                     value=type(message).__name__)
            action = message.get("action")
            handler: Callable[[Mapping[str, Any]], dict[str, Any]] | None = getattr(
                self, f"_do_{action}", None) if action in ACTIONS else None
            if handler is None:
                raise ParameterError(f"unknown workbench action {action!r}; one of "
                                     f"{', '.join(ACTIONS)}", parameter="action",
                                     function="Workbench.handle", value=action)
            self.message = {}
            reply = {"ok": True, **handler(message)}
        except QualError as exc:
            self.message = {"kind": "error", "text": str(exc)}
            return {"ok": False, "error": str(exc), "type": type(exc).__name__}
        return reply

    def _do_open(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        doc_id = _arg(msg, "doc_id", str)
        self.project.document(doc_id)
        self.doc_id, self.selection = doc_id, {}
        self.refresh()
        return {}

    def _do_select(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        text = self._text()
        sentences = None
        if msg.get("sentence"):
            segs = self.project.segments(kind="sentence", doc_id=self.doc_id)
            sentences = list(zip(segs["start"].astype(int), segs["end"].astype(int),
                                 strict=True))
        start, end = snap_span(text, _arg(msg, "start", int), _arg(msg, "end", int),
                               sentences=sentences, doc_id=self.doc_id)
        self.selection = {"start": start, "end": end, "text": text[start:end]}
        self.message = {}
        return dict(self.selection)

    def _do_code(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        coder = self._writer()
        coding_id = self.project.code(
            self.doc_id, _arg(msg, "start", int), _arg(msg, "end", int),
            _arg(msg, "code_id", str), coder=coder, valence=_opt(msg, "valence"),
            memo=_opt(msg, "memo"))
        self.selection = {}
        self._changed(f"coded #{coding_id}")
        return {"coding_id": coding_id}

    def _do_recode(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key, name in (("valence", "valence"), ("memo", "memo"), ("code_id", "code")):
            if key in msg:
                changes[name] = _opt(msg, key)
        if "code" in changes and changes["code"] is None:
            raise ParameterError("a coding needs a code: give code_id", parameter="code_id",
                                 function="Workbench.handle", value=None)
        old = self.project.recode(_arg(msg, "coding_id", int), coder=self._writer(),
                                  **changes)
        self._changed(f"changed #{msg['coding_id']}")
        return {"old": old}

    def _do_remove(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        coding_id = _arg(msg, "coding_id", int)
        self.project.uncode(coding_id, coder=self._writer())
        self._changed(f"removed #{coding_id} (undo: project.undo({self.coder!r}))")
        return {}

    def _do_accept(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        coding_id = self.project.review(
            _arg(msg, "suggestion_id", int), True, coder=self._writer(),
            code=_opt(msg, "code_id"), valence=_opt(msg, "valence"), memo=_opt(msg, "memo"))
        self._changed(f"accepted #{msg['suggestion_id']}")
        return {"coding_id": coding_id}

    def _do_reject(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        self.project.review(_arg(msg, "suggestion_id", int), False, coder=self._writer(),
                            memo=_opt(msg, "memo"))
        self._changed(f"rejected #{msg['suggestion_id']}")
        return {}

    def _do_coder(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        coder = _arg(msg, "coder", str).strip()
        self._check_coder(coder)
        self.coder = coder
        self.refresh()
        return {}

    def _do_view(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        coders = _names(msg.get("coder", []), "coder")
        origins = _names(msg.get("origin", []), "origin")
        for origin in origins:
            self._set_check(origin, ORIGINS, "origin")
        code = _opt(msg, "code") or ""
        if code:
            self.project.codebook[code]
        self.view = {"coder": coders, "origin": origins, "code": code}
        self.refresh()
        return {}

    def _do_mode(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        mode = _arg(msg, "mode", str)
        self._set_check(mode, ("code", "suggestions"), "mode")
        strategy = _arg(msg, "strategy", str) if "strategy" in msg else self.strategy
        self._set_check(strategy, STRATEGIES, "strategy")
        self.mode, self.strategy = mode, strategy
        self.refresh()
        return {}

    def _do_lang(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        self._set("lang", _arg(msg, "lang", str), ("en", "id"))
        self.refresh()
        return {}

    def _do_refresh(self, _msg: Mapping[str, Any]) -> dict[str, Any]:
        self.refresh()
        return {}

    # ------------------------------------------------------------------ reading the project
    def refresh(self) -> None:
        """Read everything shown back from the project (documents, codebook, coders, the
        document's codings, counts and suggestions)."""
        project, doc_id = self.project, self.doc_id
        codebook = project.codebook
        lang = self.lang
        docs = project.documents()
        self.documents = [_document_row(row) for row in docs.to_dict("records")]
        self.codebook = [{"code_id": c.code_id, "parent": c.parent, "factor": c.factor,
                          "depth": codebook.depth(c.code_id), "colour": c.colour,
                          "label": c.label(lang), "labels": {"en": c.label_en,
                                                             "id": c.label_id},
                          "definition": c.definition, "use_when": c.use_when,
                          "not_when": c.not_when} for c in codebook]
        self.coders = self._humans()
        document = project.document(doc_id)
        frame = project.codings(doc_id=doc_id)
        shown = self._in_view(frame)
        suggestions = self._suggestions() if self.mode == "suggestions" else []
        blocks, _ = document_blocks(
            document.text, shown, codebook=codebook,
            segments=project.segments(doc_id=doc_id), lang=lang, where=doc_id,
            cuts=[x for s in suggestions for x in (s["start"], s["end"])])
        self.title = document.title or doc_id
        self.blocks = blocks
        memos = project.coding_memos(doc_id)
        self.codings = [_coding_row(row, codebook, lang, document.text, memos)
                        for row in shown.to_dict("records")]
        self.counts = _counts(shown, codebook, lang)
        self.suggestions = suggestions
        self.revision += 1

    def _in_view(self, frame: pd.DataFrame) -> pd.DataFrame:
        view = self.view
        if view.get("coder"):
            frame = frame[frame["coder"].isin(view["coder"])]
        if view.get("origin"):
            frame = frame[frame["origin"].astype(str).isin(view["origin"])]
        if view.get("code"):
            keep = self.project.codebook.subtree([view["code"]])
            frame = frame[frame["code_id"].isin(keep)]
        return frame

    def _suggestions(self) -> list[dict[str, Any]]:
        if self.suggested_by not in self.project.coders()["coder"].tolist():
            return []
        drawn = self.project.suggest(10**6, self.strategy, coder=self.suggested_by,
                                     doc_id=self.doc_id)
        codebook, lang = self.project.codebook, self.lang
        return [{"suggestion_id": int(r["suggestion_id"]), "start": int(r["start"]),
                 "end": int(r["end"]), "code_id": r["code_id"],
                 "label": codebook[r["code_id"]].label(lang),
                 "colour": codebook[r["code_id"]].colour,
                 "valence": _text(r["valence"]), "confidence": _number(r["confidence"]),
                 "text": r["text"]} for r in drawn.to_dict("records")]

    def _changed(self, what: str) -> None:
        siblings = _OPEN.get(same_place(self.project.location), weakref.WeakSet())
        for other in list(siblings):
            if other.comm is None:          # closed: nothing shows it any more
                siblings.discard(other)
            elif other is not self:
                other.refresh()
        self.refresh()
        self.message = {"kind": "info", "text": what}

    # ------------------------------------------------------------------ helpers
    def _humans(self) -> list[str]:
        coders = self.project.coders()
        return sorted(coders.loc[coders["kind"] == "human", "coder"].tolist())

    def _writer(self) -> str:
        if not self.coder:
            raise ParameterError("choose a coder (or type a new name) before coding",
                                 parameter="coder", function="Workbench", value="")
        return self.coder

    def _check_coder(self, coder: str) -> None:
        check_coder(coder)
        auto = self.project.coders()
        if coder == self.suggested_by or \
                coder in auto.loc[auto["kind"] != "human", "coder"].tolist():
            raise ParameterError(f"{coder!r} is the automatic coder's name; code by hand "
                                 "under a person's name", parameter="coder",
                                 function="Workbench", value=coder)

    def _text(self) -> str:
        return self.project.document(self.doc_id).text

    def _set(self, name: str, value: str, allowed: Sequence[str]) -> None:
        self._set_check(value, allowed, name)
        setattr(self, name, value)

    @staticmethod
    def _set_check(value: str, allowed: Sequence[str], name: str) -> None:
        if value not in allowed:
            raise ParameterError(f"{name} must be one of {', '.join(allowed)}; got {value!r}",
                                 parameter=name, function="Workbench", value=value)


def _arg(msg: Mapping[str, Any], key: str, kind: type) -> Any:
    """``msg[key]`` as ``kind`` (int or str), or a :class:`ParameterError` naming it."""
    value = msg.get(key)
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ParameterError(f"the workbench message {msg.get('action')!r} needs {key} "
                             f"({kind.__name__}); got {value!r}", parameter=key,
                             function="Workbench.handle", value=value)
    return value


def _opt(msg: Mapping[str, Any], key: str) -> str | None:
    """An optional text argument: missing or empty is None."""
    value = msg.get(key)
    if value is None or value == "":
        return None
    return _arg(msg, key, str)


def _names(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"the workbench view's {key} is a list of names; got {value!r}",
                             parameter=key, function="Workbench.handle", value=value)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _document_row(row: Mapping[str, Any]) -> dict[str, Any]:
    skip = {"text", "position", "doc_id", "title", "group", *_BOOKKEEPING}
    attributes = {k: str(v) for k, v in row.items()
                  if k not in skip and v is not None and not (isinstance(v, float)
                                                              and pd.isna(v)) and v != ""}
    return {"doc_id": row["doc_id"], "title": _text(row.get("title")) or row["doc_id"],
            "group": _text(row.get("group")) or "", "attributes": attributes}


def _coding_row(row: Mapping[str, Any], codebook: Any, lang: str, text: str,
                memos: Mapping[int, str]) -> dict[str, Any]:
    code = codebook[row["code_id"]]
    start, end = int(row["start"]), int(row["end"])
    return {"coding_id": int(row["coding_id"]), "start": start, "end": end,
            "code_id": code.code_id, "label": code.label(lang), "colour": code.colour,
            "factor": code.factor, "valence": _text(row["valence"]),
            "memo": memos.get(int(row["coding_id"])), "coder": row["coder"],
            "origin": str(row["origin"]), "text": text[start:end]}


def _counts(frame: pd.DataFrame, codebook: Any, lang: str) -> list[dict[str, Any]]:
    factors = frame["factor"].astype(str).value_counts() if len(frame) else pd.Series()
    return [{"factor": c.code_id, "label": c.label(lang), "colour": c.colour,
             "n": int(factors.get(c.code_id, 0))} for c in codebook.top_level()]
