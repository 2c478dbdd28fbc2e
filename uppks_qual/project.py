"""The facade a notebook uses: a coding project stored in one SQLite file or on a PostgreSQL
server a team shares.

>>> import uppks_qual as uq
>>> project = uq.Project.create("uppks.uqp", corpus=uq.load_corpus("data/interviews"),
...                             codebook=uq.load_codebook("codebook.yaml"))   # doctest: +SKIP
>>> project.code_quote("int-chair-1", "rapat tiap bulan", "leadership", coder="rina")  # doctest: +SKIP
>>> project.autocode()                                   # doctest: +SKIP
>>> project.evidence()                                   # doctest: +SKIP

:class:`Project` validates what it is asked and delegates: the SQL lives in
:class:`uppks_qual.store.Store`, coding in :mod:`uppks_qual.autocode` and
:mod:`uppks_qual.learn`, formats in :mod:`uppks_qual.interop`, counting in
:mod:`uppks_qual.analysis`. Every method that writes runs in one transaction and validates
before writing: when it raises, the file is exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import autocode as _autocode
from .analysis.evidence import evidence as _evidence
from .corpus import Corpus, document_segments, read_table
from .display import HtmlPage, render_document
from .errors import (
    CoderError,
    ImportProblem,
    InterchangeError,
    ParameterError,
    QualError,
    StoreError,
    UnknownCodeError,
    UnknownDocumentError,
    warn,
)
from .interop import csvio, refi, tables
from .manifest import Manifest
from .masking import Masker
from .parallel import code_documents, predict_by_document, resolve_processes
from .params import Interval, NonEmptyText, Options, check_param, validate_params
from .passages import locate, with_context
from .records import (
    DOCUMENT_FIELDS,
    HUMAN_ORIGINS,
    SOURCE_TYPES,
    VALENCES,
    Codebook,
    Coding,
    Document,
    check_attributes,
    check_span,
    is_date,
)
from .review import STRATEGIES, order_suggestions, review_summary
from .schema import codings_frame
from .store import (
    ACTIONS,
    CODER_ROLES,
    HISTORY_COLUMNS,
    MERGE_STRATEGIES,
    MergeReport,
    Store,
    check_coder,
    is_project,
    is_url,
    location,
    same_place,
)
from .text_agreement import character_agreement_table, find_disagreements, segment_agreement
from .textio import find_span

if TYPE_CHECKING:  # learn imports scikit-learn (1 s): loaded only when a method needs it
    from . import learn

__all__ = ["Project", "history_lines", "show"]

_VALENCE = [Options(*VALENCES), None]
_NO_TRAINING = ("method='learned' needs manual codings to learn from: training=... (e.g. "
                "data/coding/train.csv), or codings made in the project")
_FILTER = [str, list, tuple, None]
#: Default of :meth:`Project.recode`'s values: leave the field as it is.
_KEEP: Any = object()


class Project:
    """A coding project: documents, segments, codebook, coders, codings and memos.

    Create one with :meth:`create`, reopen it with :meth:`open`: at a file path (SQLite, the
    default) or at a database URL ``postgresql+psycopg://user:password@host/database`` (a
    PostgreSQL server a team shares; the database must exist).

    Attributes
    ----------
    path : Path
        The project file; for a project on a server, its database name as a ``Path`` (so
        ``path.name`` and ``path.stem`` name it; see :attr:`location`).
    location : str
        The file's path, or the database URL with its password hidden.
    name : str
        The file's name without its suffix, or the database's name.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self.path = store.path if store.path is not None else Path(store.name)
        self.location = store.location
        self.name = store.name
        self._codebook: Codebook | None = None

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def create(cls, path: str | Path, *, corpus: Corpus | Iterable[Document] | None = None,
               codebook: Codebook | None = None, overwrite: bool = False) -> Project:
        """Create a new project: a file at ``path`` (an error if it exists, unless
        ``overwrite``), or in the PostgreSQL database a URL names (``postgresql+psycopg://
        user:password@host/database``; the database must exist, a project in it is replaced
        only with ``overwrite``, a database holding other tables is never touched)."""
        store = Store.create(path, overwrite=overwrite)
        project = cls(store)
        try:
            if codebook is not None:
                project.update_codebook(codebook)
            if corpus is not None:
                project.add_documents(corpus)
                if isinstance(corpus, Corpus):
                    project.set_manifest(corpus.manifest)
        except BaseException:
            store.destroy()
            raise
        return project

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open an existing project: a file path or a ``postgresql+psycopg://`` URL. A project
        of an older schema is upgraded (a file is first copied beside itself, see
        :mod:`uppks_qual.store.migrate`)."""
        return cls(Store.open(path))

    def close(self) -> None:
        """Release the database connection."""
        self._store.close()

    def ensure_writable(self) -> None:
        """Check, cheaply, that the project can be written now, before long work: the file
        and its folder are writable, its pages pass SQLite's quick check and no other process
        holds the write lock past the retries (a probe write, rolled back). Nothing is
        changed.

        Raises
        ------
        StoreReadOnlyError
            The file or its folder cannot be written (the project still opens for reading).
        StoreBusyError
            Another process kept writing for longer than the retries wait.
        StoreCorruptError
            The file is damaged.
        """
        self._store.ensure_writable()

    @property
    def read_only(self) -> str | None:
        """``"file"`` or ``"folder"`` when the project was opened for reading only (the file,
        or its folder, cannot be written), else None."""
        return self._store.read_only

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        n = self._store.counts()
        return f"<Project {self.path.name}: {n['documents']} documents, {n['codings']} codings>"

    def set_meta(self, key: str, value: str, *, by: str | None = None) -> None:
        """Store a project-level setting (e.g. ``provenance``); ``by``: who (the history)."""
        self._store.set_meta(key, value, by=by)

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A project-level setting, or ``default``."""
        value = self._store.get_meta(key)
        return default if value is None else value

    @property
    def manifest(self) -> Manifest:
        """The study manifest the project was made with (groups, comparison, hypothesis,
        coders; :mod:`uppks_qual.manifest`), or an empty one."""
        stored = self.get_meta("manifest")
        return Manifest.from_json(stored) if stored else Manifest()

    def set_manifest(self, manifest: Manifest) -> None:
        """Store the study manifest (and its provenance note, shown wherever results are)."""
        check_param(manifest, [Manifest], name="manifest", func="Project.set_manifest")
        self.set_meta("manifest", manifest.to_json())
        if manifest.provenance:
            self.set_meta("provenance", manifest.provenance)

    def dump(self) -> str:
        """The whole database as SQL text (to compare states)."""
        return self._store.dump()

    def check_integrity(self) -> list[str]:
        """Problems found in the file (codings whose stored text no longer matches their
        offsets); an empty list when all is well."""
        return self._store.check_integrity()

    # ------------------------------------------------------------------ documents
    def add_documents(self, corpus: Corpus | Iterable[Document]) -> int:
        """Add documents (with their segments); an id already in the project is an error."""
        docs = list(corpus)
        if isinstance(corpus, Corpus):
            items = [(d, corpus.iter_segments(d.doc_id)) for d in docs]
        else:
            items = [(d, document_segments(d)) for d in docs]
        return self._store.add_documents(items)

    def document(self, doc_id: str) -> Document:
        """One document as a record."""
        doc = self._store.document(doc_id)
        if doc is None:
            raise UnknownDocumentError(f"unknown document {doc_id!r}; see project.documents()",
                                       doc_id=doc_id)
        return doc

    def documents(self) -> pd.DataFrame:
        """One row per document: metadata, title, path, content hash, words and characters,
        then one column per attribute. A document that belongs to no group has a missing
        ``group`` (as in :meth:`codings`), so it takes part in no group comparison."""
        frame = self._store.documents_frame()
        frame["group"] = frame["group"].replace("", None)
        return frame

    def set_attributes(self, doc_id: str, **values: Any) -> None:
        """Set a document's fields and attributes, atomically and validated.

        ``group``, ``village``, ``source_type``, ``informant_role``, ``informant``, ``date``
        and ``title`` set the document's fields (an empty group: the document belongs to no
        group); any other name sets an attribute (a column of :meth:`documents`,
        :meth:`codings` and every export, usable as ``by=``); ``None`` removes it.

        Examples
        --------
        >>> project.set_attributes("board_2017", group="board", wave=1)   # doctest: +SKIP
        """
        self.document(doc_id)
        self._store.update_documents({doc_id: self._checked(values, where=doc_id)})

    def import_attributes(self, path: str | Path, *, by: str | None = None) -> dict[str, int]:
        """Set document fields and attributes from a CSV: one row per document, a ``doc_id``
        column and any others (an empty cell: no value). Delimiter sniffed (comma, semicolon,
        tab). All or nothing: every bad row is listed in one ImportProblem.

        Each document changed writes a history row ``set_attributes`` (coder ``by``).
        Returns ``{"documents": n, "attributes": n_columns}``.
        """
        frame = _read_table(path)
        known = set(self.documents()["doc_id"])
        changes: dict[str, dict[str, Any]] = {}
        problems = []
        for line, row in enumerate(frame.to_dict("records"), start=2):
            doc_id = str(row.pop("doc_id")).strip()
            try:
                if doc_id not in known:
                    raise UnknownDocumentError(f"unknown document {doc_id!r}", doc_id=doc_id)
                values = {k: (None if v == "" else v) for k, v in row.items()}
                changes[doc_id] = self._checked(values, where=f"{path}:{line}")
            except QualError as exc:
                problems.append(f"{path}:{line}: {exc.message}")
        if problems:
            raise ImportProblem(f"{len(problems)} bad row(s); nothing was changed:\n"
                                + "\n".join(problems[:50]), path=path, problems=problems)
        self._store.update_documents(changes, by=by)
        return {"documents": len(changes), "attributes": len(frame.columns) - 1}

    def _checked(self, values: dict[str, Any], *, where: str) -> dict[str, Any]:
        """``values`` for :meth:`set_attributes`, checked; fields None become ''."""
        manifest = self.manifest
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in (*DOCUMENT_FIELDS, "title"):
                value = "" if value is None else str(value).strip()
                _check_field(name, value, manifest, where)
            out[name] = value
        check_attributes({k: v for k, v in out.items() if k not in (*DOCUMENT_FIELDS, "title")},
                         where=where)
        return out

    @validate_params({"kind": [Options("turn", "paragraph", "sentence"), None],
                      "doc_id": [str, None]})
    def segments(self, *, kind: str | None = None, doc_id: str | None = None) -> pd.DataFrame:
        """Segments (turns/paragraphs and sentences) with text and document metadata (of one
        document with ``doc_id``)."""
        if doc_id is not None:
            self.document(doc_id)
        return self._store.segments_frame(kind=kind, doc_id=doc_id)

    # ------------------------------------------------------------------ codebook
    @property
    def codebook(self) -> Codebook:
        """The project's codebook (iterable of codes)."""
        if self._codebook is None:
            self._codebook = self._store.codebook(path=self.location)
        return self._codebook

    def update_codebook(self, codebook: Codebook, *,
                        by: str | None = None) -> dict[str, list[str]]:
        """Load an edited codebook: add new codes, update changed ones.

        A removed code that still has manual codings is an error listing them; a removed code
        with only automatic codings is deleted with them (run ``autocode`` again), and so are
        the codings of it that were removed (:meth:`uncode`; their history rows keep them).
        Every coding made afterwards records the new codebook's version
        (``codings()["codebook_version"]``). A change writes one history row
        ``update_codebook`` (coder ``by``) whose ``details`` hold the diff: codes ``added``,
        ``removed``, ``changed`` (``{code_id: [fields]}``).
        Returns ``{"added": [...], "updated": [...], "removed": [...]}``.
        """
        report = self._store.replace_codebook(codebook, by=by)
        self._codebook = None
        return report

    # ------------------------------------------------------------------ manual coding
    @validate_params({"valence": _VALENCE})
    def code(self, doc_id: str, start: int, end: int, code_id: str, *, coder: str,
             valence: str | None = None, memo: str | None = None) -> int:
        """Code ``[start, end)`` of a document; returns the coding id.

        The same coding twice (same document, span, code and coder) is a no-op returning the
        existing id.
        """
        return self.code_many([Coding(doc_id, start, end, code_id, coder, "manual", valence,
                                      None, memo)])[0]

    @validate_params({"valence": _VALENCE})
    def code_quote(self, doc_id: str, quote: str, code_id: str, *, coder: str,
                   occurrence: int | None = None, valence: str | None = None,
                   memo: str | None = None, match: str = "exact") -> int:
        """Code the words ``quote`` in a document (1-based ``occurrence`` if repeated).

        ``match="exact"`` finds the same characters; ``"casefold"`` ignores case; ``"loose"``
        also treats any run of spaces and punctuation as any other ("sejak 2019" finds
        "Sejak  2019,"). The coding covers the original text (see
        :func:`uppks_qual.textio.find_span`).
        """
        start, end = find_span(self.document(doc_id).text, quote, doc_id=doc_id,
                               occurrence=occurrence, match=match)
        return self.code(doc_id, start, end, code_id, coder=coder, valence=valence, memo=memo)

    def code_many(self, items: Sequence[Coding]) -> list[int]:
        """Insert several codings in one transaction (all or nothing); returns their ids.
        Each new coding writes a history row ``code`` (coder: the coding's)."""
        return self._code_many(items, via="code")

    def _code_many(self, items: Sequence[Coding], *, via: str,
                   source: str | None = None) -> list[int]:
        items = [dataclasses.replace(c, start=int(c.start), end=int(c.end)) for c in items]
        for coder in dict.fromkeys(c.coder for c in items):
            check_coder(coder)
        self._validate([(c.doc_id, c.start, c.end, c.code_id) for c in items])
        return self._store.add_codings(items, via=via, source=source)

    def _validate(self, spans: Sequence[tuple[str, int, int, str | None]]) -> None:
        """Check ``(doc_id, start, end, code_id)`` items (``code_id`` None: span only)."""
        texts = self._store.texts({d for d, *_ in spans})
        for doc_id, start, end, code_id in spans:
            if doc_id not in texts:
                raise UnknownDocumentError(f"unknown document {doc_id!r}; see "
                                           "project.documents()", doc_id=doc_id)
            if code_id is not None and code_id not in self.codebook:
                raise UnknownCodeError(f"unknown code {code_id!r}; known codes: "
                                       f"{', '.join(self.codebook.ids)}", code_id=code_id)
            check_span(doc_id, start, end, len(texts[doc_id]))

    def uncode(self, coding_id: int, *, coder: str | None = None) -> None:
        """Remove one coding (an error if there is no such live coding).

        The coding is marked removed by ``coder`` (default: its own coder), not deleted: it
        and its memos disappear from every frame, count and export, and stay in
        :meth:`history`, from where :meth:`undo` can restore it (same id). The same passage
        can be coded again with the same code."""
        if coder is not None:
            check_coder(coder)
        self._store.remove_coding(int(coding_id), by=coder)

    @validate_params({"valence": _VALENCE, "memo": [str, None], "code": [str]})
    def recode(self, coding_id: int, *, code: str = _KEEP, valence: str | None = _KEEP,
               memo: str | None = _KEEP, coder: str | None = None) -> dict[str, Any]:
        """Change a human coding's code, valence and/or memo (what is not given is kept).

        ``coder``: who changes it (default: the coding's own coder; the coding keeps its
        coder). Writes a history row ``recode`` with the old and new values, which
        :meth:`undo` can revert. An automatic coding cannot be recoded (review it), nor
        can a coding be given a code the same coder already gave the same passage.
        Returns the old values of the fields that changed (``{}``: nothing changed).

        Examples
        --------
        >>> project.recode(12, valence="negative", coder="coder1")       # doctest: +SKIP
        {'valence': 'positive'}
        """
        if code is not _KEEP and code not in self.codebook:
            raise UnknownCodeError(f"unknown code {code!r}; known codes: "
                                   f"{', '.join(self.codebook.ids)}", code_id=code)
        if coder is not None:
            check_coder(coder)
        changes = {k: v for k, v in (("code_id", code), ("valence", valence), ("memo", memo))
                   if v is not _KEEP}
        if not changes:
            raise ParameterError("Project.recode changes nothing: give code=, valence= or "
                                 "memo=", parameter="code", function="Project.recode",
                                 value=None)
        return self._store.recode(int(coding_id), changes, by=coder)

    @validate_params({"on": [Options("code", "document", "coding", "project")]})
    def memo(self, target: str, text: str, *, on: str = "code", author: str | None = None) -> int:
        """Attach a memo to a code, document, coding (id) or the project (``on="project"``)."""
        if on == "code":
            self.codebook[target]
        elif on == "document":
            self.document(target)
        if on == "coding" and not str(target).isdigit():
            raise StoreError(f"a coding memo needs a coding id (a whole number); got {target!r}")
        return self._store.add_memo(on, str(target), text, author)

    def edit_memo(self, memo_id: int, text: str, *, author: str | None = None) -> str:
        """Replace a memo's text; ``author``: who edits it (default: the memo's author), in
        the history row ``edit_memo``, which :meth:`undo` can revert. Returns the old text."""
        check_param(text, [str], name="text", func="Project.edit_memo")
        return self._store.edit_memo(int(memo_id), text, by=author)

    @validate_params({"doc_id": [str, None]})
    def coding_memos(self, doc_id: str | None = None) -> dict[int, str]:
        """``{coding_id: memo}`` of the live codings (of one document) that carry a memo:
        the ``memo=`` given to :meth:`code`, :meth:`recode` or :meth:`review`."""
        return self._store.coding_memos(doc_id)

    def memos(self) -> pd.DataFrame:
        """All memos (target type and id, author, text, time), but those on removed
        codings."""
        return self._store.memos_frame()

    def import_auto_codings(self, source: str | Path | pd.DataFrame, *,
                            coder: str | None = None) -> dict[str, int]:
        """Bring automatic codings made outside the project into it: the Parquet folder
        :func:`uppks_qual.autocode_corpus` wrote (coding on Dask), or a frame with ``doc_id,
        start, end, code_id, valence, confidence, text`` (``cues`` optional).

        They become automatic codings of ``coder`` (default: the source's ``coder`` column,
        else ``"auto"``) and replace that coder's earlier automatic codings in one
        transaction, exactly as :meth:`autocode` does: a human coding is never touched, and
        an automatic coding identical to one (document, span and code) is skipped. Every row
        is checked first (a document of the project, a code of its codebook, offsets inside
        the text, the ``text`` equal to the document's text there); bad rows are listed in one
        :class:`~uppks_qual.errors.ImportProblem` and nothing is imported. So are codings made
        under another codebook version than the project's (the ``codebook_version`` column
        :func:`~uppks_qual.autocode_corpus` writes; a frame without it is taken as made under
        the project's codebook), a coding given twice, and a path that is not Parquet codings.

        Returns ``{"documents": n, "codings": n, "skipped_manual": n}``.
        """
        from .scale import auto_rows, read_auto_frame

        frame = source if isinstance(source, pd.DataFrame) else read_auto_frame(source)
        where = "the frame" if isinstance(source, pd.DataFrame) else str(source)
        if coder is None:
            found = frame["coder"].dropna().unique() if "coder" in frame.columns else []
            coder = str(found[0]) if len(found) == 1 else "auto"
        self._check_auto_coder(coder)
        self.ensure_writable()
        rows = auto_rows(frame, texts=self._store.texts(), codes=set(self.codebook.ids),
                         source=where, version=self.codebook.version)
        return self._store.replace_auto(coder, rows, details={"method": "import",
                                                               "source": where})

    def read_codings(self, path: str | Path, *, coder: str | None = None) -> pd.DataFrame:
        """Read and validate a codings CSV against this project's documents and codebook,
        without importing it (see :func:`uppks_qual.interop.csvio.read_codings_csv`)."""
        return csvio.read_codings_csv(path, texts=self._store.texts(), codebook=self.codebook,
                                      coder=coder)

    def import_codings(self, path: str | Path, *, coder: str | None = None) -> dict[str, int]:
        """Import manual codings from a CSV, all or nothing.

        Columns: ``doc_id``, ``code_id`` and either ``start, end`` (half-open offsets into the
        normalised text) or ``quote`` (exact words; ``occurrence`` optional); optional
        ``valence``, ``memo`` or ``note``, ``coder`` (overridden by ``coder=``) and ``text``
        (checked against the offsets). A row with an empty ``code_id`` records a passage the
        coder read and left uncoded: it is kept as a *reading* (:meth:`readings`), so that
        :meth:`evidence` lets the coder's judgement replace automatic codings there. Every bad
        row is reported with its line number in one :class:`~uppks_qual.errors.ImportProblem`;
        nothing is imported.

        Importing the same file again adds nothing (``already_present``); a coding that is in
        the project with another valence is an error (nothing is imported).

        Each new coding and each passage newly read writes a history row (``code``, ``read``;
        ``details.via`` is ``import``), so :meth:`undo` walks an import back one by one.

        Returns ``{"codings": n_new, "already_present": n, "uncoded_passages": n}``.
        """
        if coder is not None:
            check_coder(coder)
        rows = self.read_codings(path, coder=coder)
        _check_row_coders(rows, path)
        items = csvio.codings_from_rows(rows)
        existing = self._store.coding_keys()
        key = [(i.doc_id, i.start, i.end, i.code_id, i.coder) for i in items]
        clash = [f"{k[0]} [{k[1]}, {k[2]}) {k[3]} by {k[4]}: stored valence {existing[k][0]!r}, "
                 f"file {i.valence!r}" for k, i in zip(key, items, strict=True)
                 if k in existing and existing[k][0] != i.valence]
        if clash:
            raise ImportProblem(f"{len(clash)} coding(s) in {path} differ from the same codings "
                                "already in the project; nothing was imported (uncode them "
                                "first to replace them):\n" + "\n".join(clash[:20]),
                                path=path, problems=clash)
        read = list(zip(rows["doc_id"], rows["start"], rows["end"], rows["coder"], strict=True))
        self._store.add_codings(items, read=read, via="import", source=str(path))
        present = sum(k in existing for k in key)
        return {"codings": len(items) - present, "already_present": present,
                "uncoded_passages": int((rows["code_id"] == "").sum())}

    def mark_read(self, passages: pd.DataFrame, *, coder: str) -> int:
        """Record that ``coder`` read ``passages`` (``doc_id, start, end``), whether or not
        they coded them: :meth:`evidence` then lets the coder's judgement replace automatic
        codings there. Returns the number of passages; all or nothing."""
        check_param(passages, [pd.DataFrame], name="passages", func="Project.mark_read")
        missing = [c for c in ("doc_id", "start", "end") if c not in passages.columns]
        if missing:
            raise ParameterError(f"The 'passages' parameter of Project.mark_read needs columns "
                                 f"doc_id, start, end; missing {', '.join(missing)}",
                                 parameter="passages", function="Project.mark_read",
                                 value=None)
        check_coder(coder)
        rows = [(str(d), int(s), int(e), coder) for d, s, e in
                zip(passages["doc_id"], passages["start"], passages["end"], strict=True)]
        self._validate([(d, s, e, None) for d, s, e, _ in rows])
        self._store.add_codings([], read=rows, via="mark_read")
        return len(rows)

    def readings(self, *, coder: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Passages coders read, coded or not (``doc_id, start, end, coder``), as recorded by
        :meth:`import_codings`."""
        return self._store.readings_frame([coder] if isinstance(coder, str) else coder)

    # ------------------------------------------------------------------ automatic coding
    @validate_params({"unit": [Options(*_autocode.UNITS)], "method": [Options("rules", "learned")],
                      "cross_fit": [bool], "folds": [Interval(int, 2, None)]})
    def autocode(self, *, coder: str = "auto", unit: str = "sentence",
                 skip_speakers: Collection[str] | None = None,
                 progress: bool | None = None, method: str = "rules",
                 training: str | Path | pd.DataFrame | Sequence[str | Path] | None = None,
                 cross_fit: bool = False, folds: int = 5,
                 n_process: int = 1) -> dict[str, Any]:
        """Code the whole project automatically.

        ``method="rules"`` (default) applies the codebook's cues (:mod:`uppks_qual.autocode`).
        ``method="learned"`` codes every informant sentence with a
        :class:`~uppks_qual.learn.CodeSuggester` (on top of the rules) trained on manual
        passage codings: ``training`` (CSV file(s), validated against the project, or a frame
        of ``passage_id, doc_id, start, end, code_id, valence``), else the project's own manual
        codings (the passages coders read and left uncoded, :meth:`readings`, are its
        negatives), else the model saved in the project (:meth:`model`). A model trained here
        is saved in the project (names masked by :meth:`masker`).

        ``cross_fit=True`` (learned only): the documents are split into ``folds`` folds by
        document (``GroupKFold``; documents without training passages too) and each fold is
        coded by a model trained on the other folds' passages, so **no document is coded by a
        model that saw it**. Use it whenever the automatic codings are evidence about this
        corpus (the main job does). Each document's fold is kept in the project setting
        ``autocode_folds``.

        ``skip_speakers``: turns not coded (default: the manifest's interviewer labels).

        ``n_process``: worker processes the documents are spread over (``-1``: one per core);
        the result is identical to one process, and only this process writes the project
        (:mod:`uppks_qual.parallel`). Each worker builds its own pipeline (about a second), so
        more processes pay off on corpora of hundreds of documents.

        Idempotent: replaces only earlier automatic codings of ``coder``, in one transaction,
        and never touches or duplicates a manual coding (an automatic coding identical to a
        manual one, same document, span and code, is skipped). Documents are streamed one at a
        time; interrupting it (Ctrl-C) leaves the previous state intact.

        Each run writes one history row ``autocode`` (coder ``coder``): the method, unit,
        parameters, the model (and a saved model's summary), the counts and the codebook
        version. A run cannot be undone (run it again).

        Returns ``{"documents": n, "codings": n, "skipped_manual": n}``, and for
        ``method="learned"`` ``"model"``, what coded: ``"trained on N passages"``,
        ``"saved"`` or ``"cross-fitted, k folds"``.
        """
        if method == "learned" and unit != "sentence":
            raise ParameterError("method='learned' codes sentences (unit='sentence')",
                                 parameter="unit", function="Project.autocode", value=unit)
        n_process = resolve_processes(n_process, func="Project.autocode")
        self._check_auto_coder(coder)
        self.ensure_writable()  # before the coding, which can take minutes
        if skip_speakers is None:
            skip_speakers = self.manifest.interviewer_labels
        passages = (self.training_passages(training) if method == "learned" else None)
        if method == "learned" and passages is None and (cross_fit or self._store.model() is None):
            raise ImportProblem(_NO_TRAINING + ("" if cross_fit else ", or a saved model"))
        show = sys.stderr.isatty() if progress is None else progress
        docs = [(d, self.document(d).text, self._store.units(d))
                for d in self.documents()["doc_id"]]
        rows = code_documents(docs, self.codebook, unit=unit, skip_speakers=skip_speakers,
                              n_process=n_process, progress=show)
        model, saved, fold_of = "rules", None, None
        if method == "learned":
            rows, model, saved, fold_of = self._learned(rows, passages, tuple(skip_speakers),
                                                        cross_fit, folds, n_process)
        settings = {} if fold_of is None else {"autocode_folds": json.dumps(fold_of)}
        run = {"method": method, "unit": unit, "model": model,
               "parameters": {"skip_speakers": sorted(skip_speakers), "cross_fit": cross_fit,
                              "folds": folds if cross_fit else None,
                              "training": _training_source(training)}}
        if saved is not None:
            run["model_summary"] = {k: v for k, v in saved.summary_.items() if k != "documents"}
        counts = self._store.replace_auto(coder, rows, settings=settings,
                                          model=None if saved is None else saved.to_bytes(),
                                          details=run)
        return counts if method == "rules" else {**counts, "model": model}

    def _check_auto_coder(self, coder: str) -> None:
        """``coder`` can code automatically: a valid name, not a human coder's."""
        check_coder(coder)
        table = self.coders()  # read once: another process may register a coder meanwhile
        kinds = dict(zip(table["coder"], table["kind"], strict=True))
        if kinds.get(coder, "auto") != "auto":
            raise StoreError(f"coder {coder!r} is a {kinds[coder]} coder; use another name for "
                             "auto coding", coder=coder)

    def _learned(self, rows: list[dict[str, Any]], passages: pd.DataFrame | None,
                 skip: tuple[str, ...], cross_fit: bool, folds: int, n_process: int = 1
                 ) -> tuple[list[dict[str, Any]], str, learn.CodeSuggester | None,
                            dict[str, int] | None]:
        """Learned coding rows, what coded them, the model to save and (cross-fitting) each
        document's fold."""
        from . import learn

        cb = self.codebook
        table = learn.sentence_table(self.segments(), learn.rules_frame(rows),
                                     [c.code_id for c in cb.factors()], interviewer_labels=skip)
        coded = table[~table["speaker"].isin(list(skip))]
        if passages is None:
            saved = self.model()
            if saved is None:
                raise ImportProblem(_NO_TRAINING + ", or a saved model")
            seen = set(saved.summary_["documents"]) & set(coded["doc_id"])
            if seen:
                warn(f"the saved model was trained on passages of {len(seen)} of these "
                     "documents: its codings of them are not evidence (use cross_fit=True)")
            return (learn.coding_rows(predict_by_document(saved, coded, n_process=n_process),
                                      rows, cb), "saved", None, None)
        labelled = learn.labelled_passages(table, passages, cb)
        model = learn.CodeSuggester(codebook=cb, mask=self.masker(), skip_speakers=skip)
        if not cross_fit:
            model.fit(labelled)
            predicted = predict_by_document(model, coded, n_process=n_process)
            return (learn.coding_rows(predicted, rows, cb),
                    f"trained on {len(labelled)} passages", model, None)
        predicted, fold_of = learn.cross_fit_predict(
            model, coded, labelled, n_splits=folds,
            predict=partial(predict_by_document, n_process=n_process))
        k = len(set(fold_of.values()))
        return (learn.coding_rows(predicted, rows, cb), f"cross-fitted, {k} folds",
                model.fit(labelled), fold_of)

    def training_passages(self, training: str | Path | pd.DataFrame | Sequence[str | Path]
                          | None = None) -> pd.DataFrame | None:
        """The manual passage codings a learned coder trains on (``passage_id, doc_id,
        start, end, code_id, valence``; an empty ``code_id``: read and left uncoded):
        ``training`` (CSV files, validated, or a frame), else the project's human codings
        (manual, and automatic ones a human accepted) and :meth:`readings`; None when there
        are none."""
        if training is not None:
            return self._training(training)
        manual = self._store.codings_frame(origin=list(HUMAN_ORIGINS))
        read = self._store.readings_frame()
        spans = pd.concat([manual[["doc_id", "start", "end", "code_id", "valence"]],
                           read[["doc_id", "start", "end"]].assign(code_id="", valence="")],
                          ignore_index=True)
        if not len(spans):
            return None
        spans = spans.fillna("").astype({"start": "int64", "end": "int64"})
        spans.insert(0, "passage_id", spans["doc_id"] + ":" + spans["start"].astype(str)
                     + ":" + spans["end"].astype(str))
        return spans

    def masker(self) -> Masker:
        """The names the learned coder never sees: the manifest's groups, villages and
        ``mask`` lists, every document's group, village, informant and speakers, and the
        codebook's actors (:func:`uppks_qual.learn.study_masker`)."""
        from . import learn

        docs = self._store.document_records().values()
        return learn.study_masker(self.manifest, docs, self.codebook)

    def model(self) -> learn.CodeSuggester | None:
        """The learned coder saved in the project (by ``autocode(method="learned")`` or
        :meth:`set_model`), or None. Its ``summary_`` says what it was trained on."""
        from . import learn

        data = self._store.model()
        if data is None:
            return None
        model = learn.CodeSuggester.from_bytes(data)
        version = model.summary_.get("codebook_version")
        if version != self.codebook.version:
            warn(f"the saved model was trained under codebook version {version}; the "
                 f"project's is {self.codebook.version}: retrain it")
        return model

    def set_model(self, model: learn.CodeSuggester | None) -> None:
        """Save a fitted :class:`~uppks_qual.learn.CodeSuggester` in the project (``None``
        removes the saved one)."""
        from . import learn

        check_param(model, [learn.CodeSuggester, None], name="model", func="Project.set_model")
        self._store.set_model(None if model is None else model.to_bytes())

    def _training(self, training: str | Path | pd.DataFrame | Sequence[str | Path]
                  ) -> pd.DataFrame:
        if isinstance(training, pd.DataFrame):
            return training
        files = [training] if isinstance(training, str | Path) else list(training)
        return pd.concat([self.read_codings(f) for f in files], ignore_index=True)

    # ------------------------------------------------------------------ analysis surface
    @validate_params({"coder": _FILTER, "origin": _FILTER, "group": _FILTER, "code": _FILTER,
                      "factor": _FILTER, "doc_id": _FILTER, "lang": [Options("en", "id")]})
    def codings(self, *, coder: str | Sequence[str] | None = None, origin: str | None = None,
                group: str | Sequence[str] | None = None,
                code: str | Sequence[str] | None = None,
                factor: str | Sequence[str] | None = None,
                doc_id: str | Sequence[str] | None = None, lang: str = "en") -> pd.DataFrame:
        """Every coding, one row each, with document metadata (all coders, manual and
        automatic: use :meth:`evidence` for the frame to count).

        Columns and dtypes are :data:`uppks_qual.schema.CODING_DTYPES`, then
        ``codebook_version`` (the version of the codebook the coding was made under; missing
        for codings stored before versions were recorded), then one column per document
        attribute. Filters are keyword arguments (a string or a list of strings).
        """
        frame = self._store.codings_frame(coder=coder, origin=origin, group=group, code=code,
                                          doc_id=doc_id)
        cb = self.codebook
        frame.insert(10, "code_label", [cb[x].label(lang) for x in frame["code_id"]])
        frame.insert(11, "factor", [cb[x].factor for x in frame["code_id"]])
        if factor is not None:
            frame = frame[frame["factor"].isin([factor] if isinstance(factor, str) else factor)]
        frame = locate(frame, self._store.document_records(frame["doc_id"].unique()),
                       interviewer_labels=self.manifest.interviewer_labels)
        return codings_frame(frame, groups=[g for g in self._store.groups() if g],
                             factors=[x.code_id for x in cb.top_level()])

    def coders(self) -> pd.DataFrame:
        """The project's coders by name: ``coder, kind`` (``human`` or ``auto``) and ``role``
        (``coder``, ``reviewer`` or ``admin``)."""
        return self._store.coders()

    @validate_params({"role": [Options(*CODER_ROLES)], "by": [str, None]})
    def add_coder(self, name: str, role: str = "coder", *, by: str | None = None) -> None:
        """Register a human coder with a role (``coder``, ``reviewer`` or ``admin``). A coder
        is also registered, as ``coder``, by their first coding. Once the project has an
        admin, only an admin (``by=``) may register coders and change roles."""
        check_coder(name)
        self._store.add_coder(name, role=role, by=by)

    @validate_params({"role": [Options(*CODER_ROLES)], "by": [str, None]})
    def set_role(self, name: str, role: str, *, by: str | None = None) -> str:
        """Give a registered coder a role (``coder``, ``reviewer`` or ``admin``); returns the
        old role. Once the project has an admin, only an admin (``by=``) may do it (the
        first admin can be named by anyone)."""
        return self._store.set_role(name, role, by=by)

    # ------------------------------------------------------------------ history
    @validate_params({"coder": _FILTER, "action": [str, list, tuple, None],
                      "target": [str, tuple, None], "limit": [Interval(int, 1, None), None]})
    def history(self, *, coder: str | Sequence[str] | None = None,
                action: str | Sequence[str] | None = None,
                target: str | tuple[str, Any] | None = None, since: Any = None,
                until: Any = None, limit: int | None = None) -> pd.DataFrame:
        """The audit trail: one row per change to the project, oldest first.

        Columns: ``history_id``, ``at`` (UTC time), ``coder`` (who: a coding's coder, a memo's
        author, the ``by=`` of a project-level change, else missing), ``action`` (``code``,
        ``uncode``, ``recode``, ``memo``, ``edit_memo``, ``read``, ``review``, ``autocode``,
        ``update_codebook``, ``set_attributes``, ``add_documents``, ``set_meta``,
        ``set_model``, ``add_coder``, ``set_role``, ``undo``), ``target_type`` and
        ``target_id`` (what changed, e.g. ``coding`` and its id), ``old`` and ``new`` (the
        values before and after, as dicts) and ``details`` (how: counts, parameters, the
        codebook diff ...; a dict).

        Filters: ``coder``, ``action`` (names or lists), ``target`` (a type such as
        ``"coding"``, ``"coding:12"`` or ``("coding", 12)``), ``since``/``until`` (times,
        inclusive; naive times are UTC), ``limit`` (the newest ``limit`` rows).

        Examples
        --------
        >>> project.history(coder="coder1", action=["code", "uncode"])   # doctest: +SKIP
        """
        for name in [action] if isinstance(action, str) else list(action or ()):
            check_param(name, [Options(*ACTIONS)], name="action", func="Project.history")
        target_type, target_id = _target(target)
        frame = self._store.history_frame(
            coder=coder if coder is None or isinstance(coder, str) else list(coder),
            action=action if action is None or isinstance(action, str) else list(action),
            target_type=target_type, target_id=target_id, since=_since(since, "since"),
            until=_since(until, "until"), limit=limit)
        for column in ("old", "new", "details"):
            frame[column] = [json.loads(v) if isinstance(v, str) else None
                             for v in frame[column]]
        frame["coder"] = pd.Series([c if isinstance(c, str) else None for c in frame["coder"]],
                                   index=frame.index, dtype=object)
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        return frame.astype({"history_id": "int64"})

    def export_history(self, path: str | Path, **filters: Any) -> Path:
        """Write :meth:`history` (with the same filters) to a CSV file: ``old``, ``new`` and
        ``details`` as JSON text, ``at`` as UTC ISO text. Returns the path."""
        frame = self.history(**filters)
        out = frame.assign(at=[t.isoformat() for t in frame["at"]])
        for column in ("old", "new", "details"):
            out[column] = [None if v is None else json.dumps(v, ensure_ascii=False,
                                                             sort_keys=True)
                           for v in out[column]]
        path = Path(path)
        out.to_csv(path, index=False, columns=list(HISTORY_COLUMNS))
        return path

    @validate_params({"coder": [NonEmptyText()]})
    def undo(self, coder: str) -> dict[str, Any]:
        """Revert ``coder``'s last change that can be undone, and record the undo.

        What can be undone: a coding added (it is marked removed), a coding removed (restored,
        same id), a code, valence or memo changed (set back), a memo added (deleted) or
        edited (old text), a passage marked read (unmarked). Calling it again walks further
        back; an ``undo`` itself is never undone, and another coder's changes are never
        touched. A change that cannot be undone (an auto-coding run, a codebook change, a
        review decision, attributes, settings, roles) or whose target was changed since by a
        change not undone (or is gone) is passed over with a warning naming it. Writes a
        history row ``undo`` pointing at the row undone (``target_id``).

        Returns ``{"history_id", "undone", "action", "target_type", "target_id",
        "skipped"}``; :class:`~uppks_qual.errors.StoreError` when nothing can be undone.

        Examples
        --------
        >>> project.code_quote("doc1", "rapat tiap bulan", "leadership",
        ...                    coder="coder1")                              # doctest: +SKIP
        >>> project.undo("coder1")["action"]                                # doctest: +SKIP
        'code'
        """
        result = self._store.undo(coder)
        if result["skipped"]:
            warn(f"undo for {coder!r} passed over change(s) that cannot be undone: "
                 + "; ".join(result["skipped"][:5]))
        return result

    @property
    def evidence_coders(self) -> list[str]:
        """The coders whose codings :meth:`evidence` counts, in order of precedence: the
        project setting (:meth:`set_evidence_coders`) or, when unset, every human coder by
        name, then every automatic coder (as :func:`uppks_qual.analysis.default_coders`)."""
        stored = self.get_meta("evidence_coders")
        if stored:
            return list(json.loads(stored))
        coders = self.coders()  # by name
        return [*coders.loc[coders["kind"] == "human", "coder"],
                *coders.loc[coders["kind"] == "auto", "coder"]]

    def comparison_groups(self, by: str | None = None) -> list[Any]:
        """The values of ``by`` (default: the manifest's ``compare.by``) that a comparison
        compares: the manifest's groups present in the documents, in its order; for another
        column every value present, sorted. Empty when no document has the column."""
        manifest, docs = self.manifest, self.documents()
        by = by or manifest.compare_by
        if by not in docs.columns:
            return []
        present = [v for v in docs[by].dropna().unique() if str(v)]
        if by != manifest.compare_by:
            return sorted(present, key=str)
        return [g for g in manifest.comparison_groups(present) if g in present]

    def set_evidence_coders(self, coders: Sequence[str] | None) -> None:
        """Fix which coders :meth:`evidence` counts, in order of precedence (e.g.
        ``["rina", "auto"]``: rina's judgement where she read the text, the automatic coder
        elsewhere). ``None`` returns to the default. Every later count, chart, report and
        export of this project uses it."""
        check_param(coders, [list, tuple, None], name="coders", func="set_evidence_coders")
        for coder in coders or ():
            check_coder(coder)
        self.set_meta("evidence_coders", json.dumps(list(coders)) if coders is not None else "")

    @validate_params({"coders": [list, tuple, None], "kind": [Options("factor", "all")],
                      "include_notes": [bool]})
    def evidence(self, *, coders: Sequence[str] | None = None, kind: str = "factor",
                 include_notes: bool = False, lang: str = "en") -> pd.DataFrame:
        """The codings every count of this project is made from: the one evidence path.

        On every passage the first coder of ``coders`` (default :attr:`evidence_coders`) who
        coded it, or read it and left it uncoded (:meth:`readings`), has the say; nothing is
        counted twice (:func:`uppks_qual.analysis.evidence`). ``kind="factor"`` keeps the
        codings of the codebook's factors (the comparison's subject), ``"all"`` every code.
        The researcher's own words (bracketed notes and interviewer questions, see
        :mod:`uppks_qual.passages`) are left out unless ``include_notes=True``.

        Examples
        --------
        >>> df = project.evidence()                                   # doctest: +SKIP
        >>> uq.code_frequencies(df, by="group")                       # doctest: +SKIP
        """
        order = self.evidence_coders if coders is None else list(coders)
        factors = [c.code_id for c in self.codebook.factors()] if kind == "factor" else None
        return _evidence(self.codings(lang=lang), coders=order, read=self.readings(coder=order),
                         factors=factors, include_notes=include_notes)

    @validate_params({"code": _FILTER, "valence": _FILTER, "where": [Mapping, None],
                      "context": [Interval(int, 0, None), Options("turn")],
                      "coders": [list, tuple, None], "include_notes": [bool],
                      "lang": [Options("en", "id")]})
    def query(self, code: str | Sequence[str] | None = None,
              valence: str | Sequence[str] | None = None,
              where: Mapping[str, Any] | None = None, context: int | str = 1, *,
              coders: Sequence[str] | None = None, include_notes: bool = False,
              lang: str = "en") -> pd.DataFrame:
        """The coded passages of the evidence that match, each with the text around it.

        Parameters
        ----------
        code : str or list of str, optional
            Code ids; a code matches its descendants too (a factor selects all its sub-codes).
        valence : str or list of str, optional
            ``"positive"``, ``"negative"``, ``"neutral"``, or a list of them.
        where : mapping, optional
            Column -> value or list of values, over the evidence's columns (document fields,
            attributes, ``speaker``, ``coder`` ...), e.g. ``{"group": "north",
            "informant_role": ["member"]}``. A value given as text also finds a number
            (``{"wave": "2"}``); a value that no coding has is warned about.
        context : int or "turn", default 1
            ``n``: the ``n`` sentences before and after the coded text within its turn or
            paragraph (with the rest of the sentences it starts and ends in); ``"turn"``: the
            whole turn or paragraph; ``0``: none.
        coders, include_notes, lang
            As :meth:`evidence`: the researcher's notes and questions are left out by default.

        Returns
        -------
        DataFrame
            One row per matching coding of ``evidence(kind="all")``, in reading order: its
            columns plus ``before`` and ``after`` (the context, whitespace normalised, ``""``
            when none) and ``passage`` (the text from the start of ``before`` to the end of
            ``after``, whitespace normalised).

        Examples
        --------
        >>> hits = project.query("officer_role", valence="negative",
        ...                      where={"group": "south"}, context=1)    # doctest: +SKIP
        >>> hits[["informant", "code_id", "passage"]].head()              # doctest: +SKIP
        """
        codes = None if code is None else self._code_tree(code)
        valences = None if valence is None else _listed(valence)
        for value in valences or ():
            check_param(value, [Options(*VALENCES)], name="valence", func="Project.query")
        frame = self.evidence(kind="all", coders=coders, include_notes=include_notes, lang=lang)
        mask = _where_mask(frame, where or {})
        if codes is not None:
            mask &= frame["code_id"].isin(codes)
        if valences is not None:
            mask &= frame["valence"].isin(valences)
        frame = frame[mask]
        texts = self._store.texts(frame["doc_id"].unique())
        rank = frame["doc_id"].map({d: i for i, d in enumerate(texts)})  # texts: reading order
        frame = frame.assign(_rank=rank).sort_values(["_rank", "start", "end", "code_id"],
                                                     kind="stable")
        frame = frame.drop(columns="_rank").reset_index(drop=True)
        segments = self._store.segments_frame() if context != 0 and len(frame) else None
        return with_context(frame, texts, segments, context)

    def _code_tree(self, codes: str | Sequence[str]) -> list[str]:
        """``codes`` and every code below them, in codebook order (an unknown id is an
        error naming the known ones)."""
        cb, chosen = self.codebook, _listed(codes)
        for code_id in chosen:
            if code_id not in cb:
                raise UnknownCodeError(f"unknown code {code_id!r}; known codes: "
                                       f"{', '.join(cb.ids)}", code_id=code_id)
        return list(cb.subtree(chosen))

    # ------------------------------------------------------------------ agreement
    def _pair(self, coders: Sequence[str] | None) -> tuple[str, str]:
        """Two coders: the given ones, else the manifest's first manual and first agreement
        coder."""
        if coders is None:
            m = self.manifest
            coders = [c.coder for c in (*m.manual[:1], *m.agreement[:1])]
        if len(coders) != 2:
            raise ParameterError("give two coders (coders=('c1', 'c2')), or declare them in the "
                                 "manifest (coding.manual and coding.agreement)",
                                 parameter="coders", function="Project.agreement", value=coders)
        return coders[0], coders[1]

    def _units(self, coders: Sequence[str], scope: pd.DataFrame | None) -> pd.DataFrame:
        if scope is not None:
            return scope[["doc_id", "start", "end"]]
        warn("no scope= given: every sentence of the documents both coders coded counts as "
             "read by both, which overstates agreement when they coded a sample; pass the "
             "passages they read")
        coded = self.codings(coder=list(coders))
        both = set.intersection(*(set(coded.loc[coded["coder"] == c, "doc_id"]) for c in coders))
        sents = self.segments(kind="sentence")
        return sents[sents["doc_id"].isin(both)][["doc_id", "start", "end"]]

    @validate_params({"unit": [Options("segment", "character")]})
    def agreement(self, coders: Sequence[str] | None = None, *, unit: str = "segment",
                  level: str = "factor", scope: pd.DataFrame | None = None) -> pd.DataFrame:
        """Inter-coder agreement per code, plus an ``overall`` row.

        ``coders``: the two coders (default: the manifest's first manual coder and its first
        agreement coder). ``unit="segment"``: presence/absence of each code on each passage both coders read
        (``scope``: a frame of ``doc_id, start, end``; default: every sentence of the documents
        both coders coded), with percent agreement, Cohen's kappa and, overall, Krippendorff's
        alpha. ``unit="character"``: NVivo-style character comparison per code and document,
        pooled per code and overall (weighted by document length). See
        :mod:`uppks_qual.text_agreement`.
        """
        coders = self._pair(coders)
        df = self.codings(coder=list(coders))
        units = self._units(coders, scope)
        if unit == "segment":
            return segment_agreement(df, units, coders, level=level)
        return character_agreement_table(df, self.documents(), coders, level=level,
                                         units=units if scope is not None else None)

    def disagreements(self, coders: Sequence[str] | None = None, *, code: str | None = None,
                      level: str = "factor", scope: pd.DataFrame | None = None) -> pd.DataFrame:
        """The passages where two coders differ, with text and both codings, in reading order
        (``coders`` as in :meth:`agreement`)."""
        coders = self._pair(coders)
        texts = pd.Series(self._store.texts())
        return find_disagreements(self.codings(coder=list(coders)), self._units(coders, scope),
                                  coders, level=level, code=code, texts=texts)

    # ------------------------------------------------------------------ review
    @validate_params({"n": [Interval(int, 1, None)], "strategy": [Options(*STRATEGIES)],
                      "coder": [NonEmptyText()], "code": _FILTER, "doc_id": _FILTER,
                      "seed": [Interval(int, 0, None)]})
    def suggest(self, n: int = 20, strategy: str = "uncertain", *, coder: str = "auto",
                code: str | Sequence[str] | None = None,
                doc_id: str | Sequence[str] | None = None, seed: int = 0) -> pd.DataFrame:
        """Automatic codings of ``coder`` for a human to review (:meth:`review`).

        Only suggestions no human has reviewed, on passages no human coded or read (the
        passages where :meth:`evidence` already takes the human's judgement), are drawn.
        ``strategy="uncertain"``: confidence closest to 0.5 first (what the next fit learns
        most from); ``"top"``: highest confidence first; ``"random"``: a random sample
        (``seed``), the only draws :meth:`review_stats` estimates precision from. ``code``
        keeps codes and their sub-codes, ``doc_id`` documents. The strategy each suggestion
        was drawn with is remembered for its review.

        Returns
        -------
        DataFrame
            ``suggestion_id`` (the coding id), ``doc_id, start, end, code_id, factor,
            valence, confidence, text, group, informant``.

        Examples
        --------
        >>> todo = project.suggest(10, strategy="random", seed=1)              # doctest: +SKIP
        >>> project.review(todo["suggestion_id"][0], accept=False, coder="rina")  # doctest: +SKIP
        """
        check_coder(coder)
        codes = None if code is None else self._code_tree(code)
        docs = None if doc_id is None else _listed(doc_id)
        for name in docs or ():
            self.document(name)
        pool = self._store.suggestions_frame(coder, code=codes, doc_id=docs)
        drawn = order_suggestions(pool, strategy, n, seed=seed)
        drawn.insert(5, "factor", [self.codebook[c].factor for c in drawn["code_id"]])
        if len(drawn):
            self._store.record_draws(strategy, drawn["suggestion_id"])
        return drawn

    @validate_params({"suggestion_id": [Interval(int, 0, None)], "accept": [bool],
                      "coder": [NonEmptyText()], "code": [str, None], "valence": _VALENCE,
                      "memo": [str, None]})
    def review(self, suggestion_id: int, accept: bool = True, *, coder: str,
               code: str | None = None, valence: str | None = None,
               memo: str | None = None) -> int | None:
        """Record ``coder``'s decision on a suggestion (an automatic coding, :meth:`suggest`).

        Accepted, it becomes a human coding of origin ``"reviewed"`` by ``coder`` (``code``
        or ``valence`` correct the suggestion's); rejected, nothing is coded. Either way the
        passage counts as read by ``coder`` (:meth:`readings`), so :meth:`evidence` takes the
        human's judgement there and a rejection is a negative for the learned coder, and the
        decision is kept (:meth:`reviews`). A suggestion already reviewed, or no longer an
        automatic coding (auto-coding was run again), is a :class:`StoreError`; nothing is
        changed then. Returns the reviewed coding's id, or None when rejected.
        """
        check_coder(coder)
        if code is not None and code not in self.codebook:
            raise UnknownCodeError(f"unknown code {code!r}; known codes: "
                                   f"{', '.join(self.codebook.ids)}", code_id=code)
        if not accept and (code is not None or valence is not None):
            raise ParameterError("a rejected suggestion codes nothing: give code= or valence= "
                                 "only with accept=True", parameter="accept",
                                 function="Project.review", value=accept)
        return self._store.add_review(int(suggestion_id), coder=coder, accept=accept,
                                      code_id=code, valence=valence, memo=memo)

    def reviews(self) -> pd.DataFrame:
        """Every review decision, in the order made: the suggestion (``suggestion_id, doc_id,
        start, end, suggested_by, suggested_code, suggested_valence, confidence``), the
        ``strategy`` it was drawn with (``direct``: reviewed without :meth:`suggest`), the
        ``decision`` (accepted or rejected), the final ``code_id, valence`` and ``coding_id``,
        the ``coder``, ``memo`` and time (``created``)."""
        return self._store.reviews_frame()

    @validate_params({"strategy": [Options(*STRATEGIES, "direct")]})
    def review_stats(self, *, strategy: str = "random") -> dict[str, pd.DataFrame]:
        """How often the automatic coder's suggestions are right, from the reviews.

        Estimated from the suggestions drawn with ``strategy`` only (default ``"random"``:
        uncertain and top draws are chosen by confidence, so their share accepted is biased),
        overall and per suggested factor, with a Wilson 95% interval. A suggestion is correct
        when accepted with a code of its factor. Random draws estimate the precision of the
        suggestions that were awaiting review when drawn (draw them before reviewing the
        uncertain ones to describe every automatic coding), and restricted with ``code=`` they
        describe those codes only.

        Returns
        -------
        dict
            ``"precision"`` (``factor, n, accepted, correct, precision, ci_low, ci_high``,
            the first row ``overall``) and ``"strategies"`` (reviews per strategy:
            ``reviewed, accepted, rejected, corrected``); see
            :func:`uppks_qual.review.review_summary`.
        """
        factor_of = {c.code_id: c.factor for c in self.codebook}
        return review_summary(self.reviews(), factor_of, strategy=strategy)

    # ------------------------------------------------------------------ merging
    @validate_params({"strategy": [Options(*MERGE_STRATEGIES)], "by": [str, None],
                      "overwrite": [bool]})
    def merge(self, other: Project | str | Path, *, out: str | Path,
              strategy: str = "strict", by: str | None = None,
              overwrite: bool = False) -> MergeReport:
        """Merge this project and ``other`` (a project coded apart: a :class:`Project`, a
        file path or a database URL) into a **new** project at ``out``; both are only read.

        Documents are matched by id and must hold the same text; codes by ``code_id``;
        codings of every coder are brought together, each once; readings, reviews, memos and
        both histories come along, and the new project's history ends with a ``merge`` row
        holding the report. Values the projects disagree on (a code's definition, a setting,
        a coder's role, a document's metadata, a coding's valence or memo, a coding removed
        in one of them) are conflicts: ``strategy="strict"`` raises, ``"ours"`` keeps this
        project's value, ``"theirs"`` the other's, listed in the report. See
        :mod:`uppks_qual.store.merge`. All or nothing: on any error nothing is written.

        Also callable as ``Project.merge(a, b, out=...)`` with ``a`` an open project.

        Returns
        -------
        MergeReport
            Counts per table, conflicts (``report.to_frame()``) and notes; ``str(report)``
            is a readable summary. Open the result with ``Project.open(out)``.

        Raises
        ------
        MergeError
            Documents with the same id and another text (listed with the first differing
            character), a coder human in one project and automatic in the other, or conflicts
            under ``strategy="strict"``.

        Examples
        --------
        >>> report = uq.Project.open("coder1.uqp").merge("coder2.uqp", out="team.uqp")  # doctest: +SKIP
        >>> print(report)                                         # doctest: +SKIP
        """
        if by is not None:
            check_coder(by)
        theirs = other if isinstance(other, Project) else Project.open(other)
        try:
            names = {same_place(p) for p in (self.location, theirs.location)}
            if same_place(str(out) if is_url(out) else location(Path(out))) in names:
                raise StoreError("the merged project must be a new project, not one of the "
                                 "two merged; give another --out", path=location(out))
            store, report = Store.create_merged(self._store, theirs._store, out,
                                                strategy=strategy, by=by, overwrite=overwrite)
            store.close()
        finally:
            if theirs is not other:
                theirs.close()
        return report

    # ------------------------------------------------------------------ interchange
    @validate_params({"origin": [Options("manual", "auto", "reviewed"), None],
                      "history": [bool]})
    def export_qdpx(self, path: str | Path, *, origin: str | None = None,
                    extras: bool = True, history: bool = False) -> Path:
        """Export a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

        Positions are Unicode code points of the exported plain text. ``origin`` exports only
        manual (or only automatic) codings. ``history=True`` adds the audit trail as a project
        note named ``History``, one line per change (:func:`history_lines`). See
        :mod:`uppks_qual.interop.refi`.
        """
        docs = [self.document(d) for d in self.documents()["doc_id"]]
        settings = {k: v for k in ("provenance",) if (v := self.get_meta(k))}
        data = refi.ProjectData(self.name, self.codebook, docs,
                                self.codings(origin=origin), self.memos(), settings,
                                history=history_lines(self.history()) if history else None)
        return refi.export_qdpx(data, path, extras=extras)

    @classmethod
    def import_qdpx(cls, source: str | Path, path: str | Path, *,
                    overwrite: bool = False, allow_external: bool = False) -> Project:
        """Create a project at ``path`` from a REFI-QDA ``.qdpx``/``.qde`` written by any tool
        (all or nothing: the project is built in a temporary file next to ``path`` and moved
        into place only when complete; for a database URL, built in a temporary file and
        copied into the database in one transaction). See
        :func:`uppks_qual.interop.read_project`.

        Sources are read only from the archive (a ``.qde``: from its own folder);
        ``allow_external=True`` also reads files a trusted project links to elsewhere."""
        if is_url(path):
            return cls._import_qdpx_to_server(source, str(path), overwrite=overwrite,
                                              allow_external=allow_external)
        path = Path(path)
        if path.exists() and not overwrite:
            raise StoreError("project file already exists; pass overwrite=True to replace it",
                             path=path)
        imported = refi.read_project(source, allow_external=allow_external)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.importing")
        try:
            cls._build_imported(imported, tmp)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            if Path(f"{tmp}-wal").exists():  # normally checkpointed on close; keep it if not
                os.replace(f"{tmp}-wal", f"{path}-wal")
            os.replace(tmp, path)
        except QualError as exc:
            raise InterchangeError(f"cannot build the project: {exc}", path=source,
                                   element=None, guid=None) from exc
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        return cls.open(path)

    @classmethod
    def _import_qdpx_to_server(cls, source: str | Path, url: str, *, overwrite: bool,
                               allow_external: bool) -> Project:
        if not overwrite and is_project(url):
            raise StoreError("the database already holds a uppks-qual project; pass "
                             "overwrite=True to replace it", path=location(url))
        imported = refi.read_project(source, allow_external=allow_external)
        with tempfile.TemporaryDirectory(prefix="uppks-import-") as folder:
            tmp = Path(folder) / "imported.uqp"
            try:
                cls._build_imported(imported, tmp)
            except QualError as exc:
                raise InterchangeError(f"cannot build the project: {exc}", path=source,
                                       element=None, guid=None) from exc
            built = Store.open(tmp)
            try:
                store = Store.create_from(built, url, overwrite=overwrite)
            finally:
                built.close()
        return cls(store)

    @classmethod
    def _build_imported(cls, imported: Any, path: Path) -> None:
        project = cls.create(path, corpus=imported.documents, codebook=imported.codebook)
        try:
            ids = project._code_many(imported.codings, via="import_qdpx")
            for key, value in imported.settings.items():  # e.g. where the data comes from
                project.set_meta(key, value)
            for memo in imported.memos:
                target = str(ids[memo.coding]) if memo.coding is not None else memo.target
                project.memo(target, memo.text, on=memo.on, author=memo.author)
        finally:
            project.close()

    def export_tables(self, path: str | Path, *, evidence: bool = True,
                      quotes: int = 2) -> Path:
        """Codings and their summary tables for SPSS/R/Excel users: codings, code x document
        presence, code x group frequencies, framework matrix with quotes, documents.

        A path ending in ``.xlsx`` is one workbook (a sheet each, plus ``about`` with where
        the data comes from); any other path is a folder of CSV files (the same tables, plus
        ``segments.csv`` and ``ABOUT_THE_DATA.txt``). The tables count :meth:`evidence`
        (``evidence=False``: every coding of every coder, all codes). Document attributes
        are columns of the codings and documents tables."""
        source = {"codings": self.evidence(kind="all") if evidence else self.codings(),
                  "documents": self.documents(), "codes": list(self.codebook.ids)}
        note = self.get_meta("provenance")
        path = Path(path)
        if path.suffix.lower() == ".xlsx":
            return tables.export_tables(source, path, quotes=quotes, note=note)
        tables.export_csv(source, path, quotes=quotes, note=note)
        self.segments().to_csv(path / "segments.csv", index=False)
        return path

    # ------------------------------------------------------------------ display
    def workbench(self, doc_id: str | None = None, *, coder: str | None = None,
                  suggested_by: str = "auto", lang: str = "en") -> Any:
        """A widget to code documents by hand in Jupyter and review suggestions.

        Select text (whole words; hold Alt for whole sentences), pick a code: the coding is
        written at once through :meth:`code`. See :mod:`uppks_qual.workbench`.

        Parameters
        ----------
        doc_id : str, optional
            The document shown first (default: the first document).
        coder : str, optional
            Who codes (default: the first human coder; the widget can change it).
        suggested_by : str, default "auto"
            The automatic coder whose suggestions the suggestions mode walks through.
        lang : {"en", "id"}, default "en"
            Language of the code labels.

        Returns
        -------
        Workbench
            An anywidget; show it as a cell's output.

        Examples
        --------
        >>> project.workbench("doc1", coder="coder1")                        # doctest: +SKIP
        """
        from .workbench import Workbench

        return Workbench(self, doc_id, coder=coder, suggested_by=suggested_by, lang=lang)

    def show(self, doc_id: str, *, coder: str | None = None, origin: str | None = None,
             jupyter: bool | None = None, lang: str = "en") -> str:
        """Render a document's original text with its coded spans highlighted in the codebook's
        colours (overlaps visible, negative valence dashed; see
        :func:`uppks_qual.display.render_document`).

        Returns the HTML as an :class:`~uppks_qual.display.HtmlPage` (a ``str`` that a
        notebook renders as the cell's output); ``jupyter=False`` returns a plain ``str``.
        """
        doc = self.document(doc_id)
        frame = self.codings(coder=coder, origin=origin)
        page = render_document(doc.text, frame[frame["doc_id"] == doc_id],
                               codebook=self.codebook,
                               segments=self._store.segments_frame(doc_id=doc_id), lang=lang,
                               title=doc.title)
        return str(page) if jupyter is False else HtmlPage(page)


def history_lines(frame: pd.DataFrame) -> list[str]:
    """One line of text per row of :meth:`Project.history`: ``#id time coder action
    target_type target_id: old -> new`` (JSON), then the details.

    Examples
    --------
    >>> history_lines(project.history(limit=1))                       # doctest: +SKIP
    ['#42 2026-12-03T08:00:00+00:00 coder1 code coding 17: null -> {"code_id": ...}']
    """
    def text(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    lines = []
    for row in frame.itertuples(index=False):
        who = row.coder if isinstance(row.coder, str) else "-"
        line = (f"#{row.history_id} {pd.Timestamp(row.at).isoformat()} {who} {row.action} "
                f"{row.target_type} {row.target_id}: {text(row.old)} -> {text(row.new)}")
        lines.append(line + (f" ({text(row.details)})" if row.details else ""))
    return lines


def show(project: Project, doc_id: str, **kwargs: Any) -> str:
    """Render ``doc_id`` of ``project`` with its codings highlighted (see :meth:`Project.show`)."""
    return project.show(doc_id, **kwargs)



def _check_field(name: str, value: str, manifest: Manifest, where: str) -> None:
    """A document field's new value, checked as the corpus loader checks front matter."""
    if name == "source_type":
        check_param(value, [Options(*SOURCE_TYPES)], name=name, func=where)
    elif name == "date" and not is_date(value):
        raise ParameterError(f"{where}: date {value!r} is not a date: write YYYY-MM-DD, "
                             "YYYY-MM, YYYY or unknown", parameter=name, value=value)
    elif name == "group" and value and manifest.groups and value not in manifest.groups:
        raise ParameterError(f"{where}: group {value!r} is not declared in the manifest; "
                             f"groups are {', '.join(manifest.groups)} (or empty: no group)",
                             parameter=name, value=value)


def _check_row_coders(rows: pd.DataFrame, path: str | Path) -> None:
    """Every coder name of an imported codings file is valid (:func:`check_coder`), else one
    :class:`ImportProblem` listing the bad rows."""
    problems = []
    for line, coder in zip(rows["line"], rows["coder"], strict=True):
        try:
            check_coder(coder, path=path, line=int(line))
        except CoderError as exc:
            problems.append(exc.message)
    if problems:
        raise ImportProblem(f"{len(problems)} bad row(s); nothing was imported:\n"
                            + "\n".join(problems[:50]), path=path, problems=problems)


def _training_source(training: Any) -> Any:
    """How the history names the training data of an auto-coding run."""
    if training is None or isinstance(training, str | Path):
        return None if training is None else str(training)
    if isinstance(training, pd.DataFrame):
        return f"a frame of {len(training)} passages"
    return [str(t) for t in training]


def _since(value: Any, name: str) -> str | None:
    """A time filter of :meth:`Project.history` as a UTC ISO text comparable with ``at``."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(f"The {name!r} parameter of Project.history must be a time (ISO "
                             f"text such as '2026-12-01T09:00', a datetime); got {value!r}",
                             parameter=name, function="Project.history", value=value) from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat(timespec="seconds")


def _target(target: str | tuple[str, Any] | None) -> tuple[str | None, str | None]:
    """``(target_type, target_id)`` of a :meth:`Project.history` ``target`` filter."""
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, key = target
        return str(kind), None if key is None else str(key)
    kind, _, key = target.partition(":")
    return kind, key or None


def _listed(value: Any) -> list[Any]:
    """A value or a list/tuple/set of values, as a list."""
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _where_mask(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.Series:
    """Rows of ``frame`` whose column holds one of the values, for every column of ``where``
    (values compared as given or as text); warns of values no row has."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        if column not in frame.columns:
            raise ParameterError(f"The 'where' parameter of Project.query names an unknown "
                                 f"column {column!r}; known columns: "
                                 f"{', '.join(map(str, frame.columns))}", parameter="where",
                                 function="Project.query", value=column)
        values, cells = _listed(value), frame[column]
        text = cells.astype(str)
        mask &= cells.isin(values) | text.isin([str(v) for v in values])
        present = set(text)
        missing = [v for v in values if str(v) not in present]
        if missing:
            known = sorted(present)
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            warn(f"Project.query: no coding has {column}={missing[0]!r}; its values are "
                 f"{shown or 'none'}")
    return mask


def _read_table(path: str | Path) -> pd.DataFrame:
    """A CSV of attributes (delimiter sniffed) with a ``doc_id`` column, as strings."""
    frame, how = read_table(path, error=ImportProblem)
    if "doc_id" not in frame.columns:
        raise ImportProblem(f"the CSV ({how}) needs a doc_id column; found "
                            f"{', '.join(frame.columns)}", path=path, line=1)
    return frame
