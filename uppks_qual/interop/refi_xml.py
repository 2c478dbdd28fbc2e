"""Small XML helpers for REFI-QDA files and the bounded, streaming XML parser.

:func:`parse_stream` refuses a DTD and counts elements and nesting depth
(:mod:`uppks_qual.limits`) as lxml reads; the helpers match elements by local name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from .. import limits
from ..errors import InterchangeError, InterchangeLimitError

__all__ = ["child_text", "children", "local", "norm_guid", "parse_stream", "parse_xml"]

_FEED = 1 << 16  # XML is fed to the parser 64 KiB at a time


def local(el: Any) -> str:
    """Local name of an element (``"Code"`` for ``{urn:QDA-XML:project:1.0}Code``)."""
    return etree.QName(el).localname


def children(el: Any, name: str | None = None) -> Iterator[Any]:
    """Element children (comments skipped), optionally only those called ``name``."""
    for child in el:
        if isinstance(child.tag, str) and (name is None or local(child) == name):
            yield child


def child_text(el: Any, name: str) -> str | None:
    """Text of the first child called ``name`` (``""`` if empty, None if absent)."""
    for child in children(el, name):
        return child.text or ""
    return None


def norm_guid(value: str | None) -> str | None:
    """GUIDs compare without braces and case-insensitively (None: missing or blank)."""
    return (value.strip().strip("{}").strip().upper() or None) if value else None


def parse_xml(data: bytes, path: str | Path, *, what: str = "project.qde") -> Any:
    """Parse XML bytes safely (no DTDs, entities or network; within the element and depth
    limits); errors name the line."""
    return parse_stream([data], path, what=what)


def parse_stream(chunks: Iterable[bytes], path: str | Path, *, what: str) -> Any:
    """Parse XML fed in ``chunks`` and return its root element, refusing what a REFI-QDA file
    never holds, as early as the parser sees it.

    The element count (``max_xml_elements``) and the nesting depth (``max_depth``) are
    counted as the parser streams, 64 KiB at a time; a document type declaration (DTD), and
    so any entity beyond ``&amp;`` and friends, is refused at the root element.

    Raises
    ------
    InterchangeError
        Not well-formed XML, or a DTD; the message names ``what`` and the line.
    InterchangeLimitError
        Too many elements or too deep.
    """
    counter = _XmlCounter(path, what)
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=True,
                                 remove_comments=True, remove_pis=True)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            for i in range(0, len(view), _FEED):
                parser.feed(bytes(view[i:i + _FEED]))
                counter.events(parser.read_events())
        root = parser.close()
        counter.events(parser.read_events())
    except etree.LxmlError as exc:
        with contextlib.suppress(etree.LxmlError):  # a limit may explain the complaint
            counter.events(parser.read_events())
        raise _syntax_error(exc, path, what) from None
    if counter.elements == 0:
        raise InterchangeError(f"{what} has no root element", path=path, element=None,
                               guid=None)
    return root


class _XmlCounter:
    """Counts elements and nesting depth from a pull parser's events; refuses a DTD."""

    def __init__(self, path: str | Path, what: str) -> None:
        self.path, self.what = path, what
        self.elements = self.depth = 0
        current = limits.current()
        self.max_elements, self.max_depth = current.max_xml_elements, current.max_depth

    def events(self, events: Iterable[tuple[str, Any]]) -> None:
        for event, el in events:
            if event != "start":
                self.depth -= 1
                continue
            if not self.elements:
                self._no_dtd(el)
            self.elements += 1
            self.depth += 1
            if self.depth > self.max_depth:
                self._limit("max_depth", self.depth, "nesting depth of elements", el)
            if self.elements > self.max_elements:
                self._limit("max_xml_elements", self.elements, "number of elements", el)

    def _limit(self, name: str, value: int, what: str, el: Any) -> None:
        limits.check(name, value, path=self.path, what=f"{what} in {self.what}",
                     error=InterchangeLimitError, line=el.sourceline, element=_tag(el),
                     guid=None)

    def _no_dtd(self, root: Any) -> None:
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
            raise InterchangeError(
                f"{self.what} declares a document type (DTD: {info.doctype or '<!DOCTYPE>'}) "
                f"before its root element on line {root.sourceline}; REFI-QDA files have "
                "none, and a DTD is how XML entities read local files (XXE) or expand without "
                "bound, so the file is refused. Remove the <!DOCTYPE ...> declaration if you "
                "trust the file", path=self.path, line=root.sourceline, element="DOCTYPE",
                guid=None)


def _tag(el: Any) -> str | None:
    try:
        return local(el)
    except (ValueError, TypeError):
        return None


def _syntax_error(exc: Exception, path: str | Path, what: str) -> InterchangeError:
    """An InterchangeError naming the line from lxml's complaint (the feed parser reports
    some errors, an undefined entity for one, only in its error log)."""
    message, line = getattr(exc, "msg", None) or str(exc), getattr(exc, "lineno", None)
    last = getattr(getattr(exc, "error_log", None), "last_error", None)
    if not line and last is not None and last.line:
        message, line = last.message, last.line
    message = re.sub(r", line \d+, column \d+$", "", message)
    if message.startswith("Excessive depth"):  # only when max_depth was raised past it
        message = "elements nested deeper than libxml2's own bound of 2,048 levels"
    if "Entity" in message and "not defined" in message:
        message += (" (REFI-QDA files use no entities besides &amp; &lt; &gt; &quot; "
                    "&apos;; write the character itself)")
    return InterchangeError(f"{what} is not well-formed XML: {message}", path=path,
                            line=line or None, element=None, guid=None)

