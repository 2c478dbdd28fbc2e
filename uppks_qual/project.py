"""The facade a notebook uses: a coding project stored in one SQLite file.

>>> import uppks_qual as uq
>>> project = uq.Project.create("uppks.uqp", corpus=uq.load_corpus("data/interviews"),
...                             codebook=uq.load_codebook("codebook.yaml"))   # doctest: +SKIP
>>> project.code_quote("asoka-int-chair", "rapat tiap bulan", "leadership", coder="ana")  # doctest: +SKIP
>>> project.autocode()                                   # doctest: +SKIP
>>> project.codings(origin="manual")                     # doctest: +SKIP

Every method that writes runs in one transaction and validates before writing: when it
raises, the file is exactly as it was.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from . import store
from .corpus import Corpus, segment_document
from .errors import SpanError, StoreError, UnknownCodeError, UnknownDocumentError
from .records import VALENCES, Codebook, Coding, Document, check_span
from .schema import CODING_COLUMNS, codings_frame

__all__ = ["Project", "show"]

INTERVIEWER_LABELS = ("P",)


class Project:
    """A coding project: documents, segments, codebook, coders, codings and memos.

    Create one with :meth:`create`, reopen it with :meth:`open`.
    """

    def __init__(self, path: str | Path, engine: sa.engine.Engine) -> None:
        self.path = Path(path)
        self._engine = engine
        self._codebook: Codebook | None = None

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def create(cls, path: str | Path, *, corpus: Corpus | Iterable[Document] | None = None,
               codebook: Codebook | None = None, overwrite: bool = False) -> Project:
        """Create a new project file (an error if it exists, unless ``overwrite``)."""
        path = Path(path)
        if path.exists():
            if not overwrite:
                raise StoreError("project file already exists; open it with Project.open() or "
                                 "pass overwrite=True", path=path)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the project's folder: {exc.strerror}",
                             path=path) from None
        engine = store.connect(path)
        try:
            with engine.begin() as conn:
                store.initialise(conn)
            project = cls(path, engine)
            if codebook is not None:
                project.update_codebook(codebook)
            if corpus is not None:
                project.add_documents(corpus)
                provenance = getattr(corpus, "provenance", None)
                if provenance:
                    project.set_meta("provenance", str(provenance))
        except BaseException as exc:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            if isinstance(exc, sa.exc.OperationalError):
                raise StoreError(f"cannot write the project file: {exc.orig}", path=path) from None
            raise
        return project

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open an existing project file."""
        path = Path(path)
        if not path.exists():
            raise StoreError("no such project file; create one with Project.create()", path=path)
        store.check_version(path)
        return cls(path, store.connect(path))

    def close(self) -> None:
        """Release the database connection."""
        self._engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        with self._engine.connect() as conn:
            n_docs = conn.execute(sa.select(sa.func.count()).select_from(store.documents)).scalar()
            n_cod = conn.execute(sa.select(sa.func.count()).select_from(store.codings)).scalar()
        return f"<Project {self.path.name}: {n_docs} documents, {n_cod} codings>"

    def set_meta(self, key: str, value: str) -> None:
        """Store a project-level setting (e.g. ``provenance``)."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(store.meta_table).where(store.meta_table.c.key == key))
            conn.execute(store.meta_table.insert().values(key=key, value=value))

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A project-level setting, or ``default``."""
        with self._engine.connect() as conn:
            value = conn.execute(sa.select(store.meta_table.c.value).where(
                store.meta_table.c.key == key)).scalar_one_or_none()
        return default if value is None else str(value)

    def dump(self) -> str:
        """The whole database as SQL text (to compare states)."""
        return store.dump(self._engine)

    # ------------------------------------------------------------------ documents
    def add_documents(self, corpus: Corpus | Iterable[Document]) -> int:
        """Add documents (with their segments); an id already in the project is an error."""
        docs = list(corpus)
        with self._engine.begin() as conn:
            have = set(conn.execute(sa.select(store.documents.c.doc_id)).scalars())
            seen: set[str] = set()
            clash = []
            for d in docs:
                if d.doc_id in have or d.doc_id in seen:
                    clash.append(d.doc_id)
                seen.add(d.doc_id)
            if clash:
                raise StoreError(f"document(s) already in the project: {', '.join(clash)}; "
                                 "ids must be unique", doc_ids=clash)
            position = len(have)
            for i, doc in enumerate(docs):
                conn.execute(store.documents.insert().values(store.document_row(doc, position + i)))
                segs = _segments_of(corpus, doc)
                store.insert_many(conn, store.segments, store.segment_rows(segs))
        return len(docs)

    def document(self, doc_id: str) -> Document:
        """One document as a record."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(store.documents).where(
                store.documents.c.doc_id == doc_id)).mappings().one_or_none()
        if row is None:
            raise UnknownDocumentError(f"unknown document {doc_id!r}; see project.documents()",
                                       doc_id=doc_id)
        return _document(row)

    def documents(self) -> pd.DataFrame:
        """One row per document: metadata, words, characters, content hash."""
        cols = [c for c in store.documents.c if c.name not in ("text", "meta", "added", "position")]
        q = sa.select(*cols, sa.func.length(store.documents.c.text).label("n_chars")).order_by(
            store.documents.c.position)
        with self._engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),
                                 columns=[*(c.name for c in cols), "n_chars"])
        return frame

    def segments(self, *, kind: str | None = None) -> pd.DataFrame:
        """Segments (turns/paragraphs and sentences) with text and document metadata."""
        d, s = store.documents, store.segments
        q = sa.select(s.c.doc_id, s.c.segment_id, s.c.kind, s.c.parent, s.c.speaker, s.c.time,
                      s.c.start, s.c.end, d.c.group, d.c.village, d.c.source_type,
                      d.c.informant_role, d.c.informant).join(d)
        if kind is not None:
            q = q.where(s.c.kind == kind)
        q = q.order_by(d.c.position, s.c.position)
        with self._engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),
                                 columns=[c.name for c in q.selected_columns])
            texts = {r.doc_id: r.text for r in conn.execute(sa.select(d.c.doc_id, d.c.text))}
        frame.insert(8, "text", [texts[i][a:b] for i, a, b in zip(
            frame["doc_id"], frame["start"], frame["end"], strict=True)])
        return frame

    # ------------------------------------------------------------------ codebook
    @property
    def codebook(self) -> Codebook:
        """The project's codebook (iterable of codes)."""
        if self._codebook is None:
            with self._engine.connect() as conn:
                self._codebook = store.load_codebook(conn, path=str(self.path))
        return self._codebook

    def update_codebook(self, codebook: Codebook) -> dict[str, list[str]]:
        """Load an edited codebook: add new codes, update changed ones.

        A removed code that still has manual codings is an error listing them; a removed code
        with only automatic codings is deleted with them (run ``autocode`` again). Returns ``{"added": [...], "updated": [...], "removed": [...]}``.
        """
        new = {c.code_id: c for c in codebook}
        with self._engine.begin() as conn:
            old = {r.code_id: r for r in conn.execute(sa.select(store.codes))}
            gone = [c for c in old if c not in new]
            c = store.codings.c
            used = conn.execute(sa.select(c.code_id, sa.func.count()).where(
                c.code_id.in_(gone), c.origin == "manual").group_by(c.code_id)).all()
            if used:
                listing = ", ".join(f"{code} ({n} manual codings)" for code, n in used)
                raise StoreError(f"the new codebook removes code(s) that still have manual "
                                 f"codings: {listing}; recode or uncode them first, or keep the "
                                 "code", path=codebook.path, codes=[u[0] for u in used])
            report: dict[str, list[str]] = {"added": [], "updated": [], "removed": gone}
            if gone:  # automatic codings of removed codes go with them (re-run autocode)
                conn.execute(store.codings.delete().where(c.code_id.in_(gone),
                                                          c.origin == "auto"))
                conn.execute(store.codes.delete().where(store.codes.c.code_id.in_(gone)))
            for position, code in enumerate(codebook):
                row = store.code_row(code, position)
                if code.code_id in old:
                    if any(getattr(old[code.code_id], k) != v for k, v in row.items()):
                        report["updated"].append(code.code_id)
                    conn.execute(store.codes.update().where(
                        store.codes.c.code_id == code.code_id).values(row))
                else:
                    report["added"].append(code.code_id)
                    conn.execute(store.codes.insert().values(row))
            conn.execute(sa.delete(store.meta_table).where(store.meta_table.c.key == "codebook_name"))
            conn.execute(store.meta_table.insert().values(key="codebook_name", value=codebook.name))
        self._codebook = None
        return report

    # ------------------------------------------------------------------ manual coding
    def code(self, doc_id: str, start: int, end: int, code_id: str, *, coder: str,
             valence: str | None = None, memo: str | None = None) -> int:
        """Code ``[start, end)`` of a document; returns the coding id.

        The same coding twice (same document, span, code and coder) is a no-op returning the
        existing id.
        """
        return self.code_many([Coding(doc_id, start, end, code_id, coder, "manual",
                                      _valence(valence), None, memo)])[0]

    def code_quote(self, doc_id: str, quote: str, code_id: str, *, coder: str,
                   occurrence: int | None = None, valence: str | None = None,
                   memo: str | None = None) -> int:
        """Code the exact words ``quote`` in a document (1-based ``occurrence`` if repeated)."""
        start = find_quote(self.document(doc_id).text, quote, doc_id=doc_id, occurrence=occurrence)
        return self.code(doc_id, start, start + len(quote), code_id, coder=coder,
                         valence=valence, memo=memo)

    def code_many(self, items: Sequence[Coding]) -> list[int]:
        """Insert several codings in one transaction (all or nothing); returns their ids."""
        with self._engine.begin() as conn:
            return [self._insert(conn, c) for c in items]

    def _insert(self, conn: sa.Connection, c: Coding) -> int:
        doc_text = conn.execute(sa.select(store.documents.c.text).where(
            store.documents.c.doc_id == c.doc_id)).scalar_one_or_none()
        if doc_text is None:
            raise UnknownDocumentError(f"unknown document {c.doc_id!r}; see project.documents()",
                                       doc_id=c.doc_id)
        c = dataclasses.replace(c, start=int(c.start), end=int(c.end))
        if c.code_id not in self.codebook:
            raise UnknownCodeError(f"unknown code {c.code_id!r}; known codes: "
                                   f"{', '.join(self.codebook.ids)}", code_id=c.code_id)
        check_span(c.doc_id, c.start, c.end, len(doc_text))
        key = (store.codings.c.doc_id == c.doc_id, store.codings.c.start == c.start,
               store.codings.c.end == c.end, store.codings.c.code_id == c.code_id,
               store.codings.c.coder == c.coder)
        found = conn.execute(sa.select(store.codings.c.coding_id).where(*key)).scalar_one_or_none()
        if found is not None:
            return int(found)
        store.ensure_coder(conn, c.coder, "human" if c.origin == "manual" else "auto")
        stamp = store.now()
        result = conn.execute(store.codings.insert().values(
            doc_id=c.doc_id, start=c.start, end=c.end, code_id=c.code_id, coder=c.coder,
            origin=c.origin, valence=c.valence, confidence=c.confidence, memo=c.memo,
            text=doc_text[c.start:c.end], created=stamp, updated=stamp))
        return _new_id(result)

    def uncode(self, coding_id: int) -> None:
        """Delete one coding (an error if there is no such coding)."""
        with self._engine.begin() as conn:
            n = conn.execute(store.codings.delete().where(
                store.codings.c.coding_id == coding_id)).rowcount
            if n == 0:
                raise StoreError(f"no coding with id {coding_id}; see project.codings()",
                                 coding_id=coding_id)
            conn.execute(store.memos.delete().where(store.memos.c.target_type == "coding",
                                                    store.memos.c.target_id == str(coding_id)))

    def memo(self, target: str, text: str, *, on: str = "code", author: str | None = None) -> int:
        """Attach a memo to a code, document, coding (id) or the project (``on="project"``)."""
        if on not in ("code", "document", "coding", "project"):
            raise ValueError(f"The 'on' parameter of memo must be one of "
                             f"{{'code', 'document', 'coding', 'project'}}. Got {on!r} instead.")
        if on == "code":
            self.codebook[target]
        elif on == "document":
            self.document(target)
        if on == "coding" and not str(target).isdigit():
            raise StoreError(f"a coding memo needs a coding id (a whole number); got {target!r}")
        with self._engine.begin() as conn:
            if on == "coding" and conn.execute(sa.select(store.codings.c.coding_id).where(
                    store.codings.c.coding_id == int(target))).first() is None:
                raise StoreError(f"no coding with id {target}", coding_id=target)
            result = conn.execute(store.memos.insert().values(
                target_type=on, target_id=str(target), author=author, text=text,
                created=store.now()))
            return _new_id(result)

    def memos(self) -> pd.DataFrame:
        """All memos (target type and id, author, text, time)."""
        with self._engine.connect() as conn:
            return pd.DataFrame(conn.execute(sa.select(store.memos)).mappings().all(),
                                columns=[c.name for c in store.memos.c])

    def import_codings(self, path: str | Path, *, coder: str | None = None) -> dict[str, int]:
        """Import manual codings from a CSV, all or nothing.

        Columns: ``doc_id``, ``code_id`` and either ``start, end`` (half-open offsets into the
        normalised text) or ``quote`` (exact words; ``occurrence`` optional); optional
        ``valence``, ``memo`` or ``note``, ``coder`` (overridden by ``coder=``) and ``text``
        (checked against the offsets). A row with an empty ``code_id`` records a passage the
        coder read and left uncoded; it is counted, not stored. Every bad row is reported with
        its line number in one :class:`~uppks_qual.errors.ImportProblem`; nothing is imported.

        Importing the same file again adds nothing (``already_present``); a coding that is in
        the project with another valence is an error (nothing is imported).

        Returns ``{"codings": n_new, "already_present": n, "uncoded_passages": n}``.
        """
        from .errors import ImportProblem
        from .interop.csvio import read_codings_csv

        items, uncoded = read_codings_csv(path, self, coder=coder)
        c = store.codings.c
        with self._engine.connect() as conn:
            existing = {(r.doc_id, r.start, r.end, r.code_id, r.coder): (r.valence, r.memo)
                        for r in conn.execute(sa.select(c.doc_id, c.start, c.end, c.code_id,
                                                        c.coder, c.valence, c.memo))}
        key = [(i.doc_id, i.start, i.end, i.code_id, i.coder) for i in items]
        clash = [f"{k[0]} [{k[1]}, {k[2]}) {k[3]} by {k[4]}: stored valence {existing[k][0]!r}, "
                 f"file {i.valence!r}" for k, i in zip(key, items, strict=True)
                 if k in existing and existing[k][0] != i.valence]
        if clash:
            raise ImportProblem(f"{len(clash)} coding(s) in {path} differ from the same codings "
                                "already in the project; nothing was imported (uncode them "
                                "first to replace them):\n" + "\n".join(clash[:20]),
                                path=path, problems=clash)
        self.code_many(items)
        present = sum(k in existing for k in key)
        return {"codings": len(items) - present, "already_present": present,
                "uncoded_passages": uncoded}

    # ------------------------------------------------------------------ automatic coding
    def autocode(self, *, coder: str = "auto", unit: str = "sentence",
                 skip_speakers: Collection[str] = INTERVIEWER_LABELS,
                 progress: bool | None = None, method: str = "rules",
                 training: str | Path | pd.DataFrame | Sequence[str | Path] | None = None,
                 ) -> dict[str, int]:
        """Code the whole project automatically.

        ``method="rules"`` (default) applies the codebook's cues (:mod:`uppks_qual.autocode`);
        ``method="learned"`` trains a model on manual passage codings (``training``: CSV
        file(s) or a frame of ``passage_id, doc_id, start, end, code_id, valence``) on top of the
        rules and codes sentences with it (:mod:`uppks_qual.learn`).

        Idempotent: replaces only earlier automatic codings of ``coder``, in one transaction,
        and never touches or duplicates a manual coding (an automatic coding identical to a
        manual one, same document, span and code, is skipped). Documents are streamed one at a
        time; interrupting it (Ctrl-C) leaves the previous state intact.

        Returns ``{"documents": n, "codings": n, "skipped_manual": n}``.
        """
        from tqdm.auto import tqdm

        from .autocode import Region, _check_unit, autocode_regions

        _check_unit(unit)
        if method not in ("rules", "learned"):
            raise ValueError(f"The 'method' parameter of autocode must be one of "
                             f"{{'rules', 'learned'}}. Got {method!r} instead.")
        if method == "learned" and (unit != "sentence" or training is None):
            raise ValueError("method='learned' codes sentences (unit='sentence') and needs "
                             "training=... (manual passage codings, e.g. data/coding/train.csv)")
        codebook = self.codebook
        docs = self.documents()["doc_id"].tolist()
        show = sys.stderr.isatty() if progress is None else progress
        rows: list[dict[str, Any]] = []
        for doc_id in tqdm(docs, desc="auto-coding", unit="doc", disable=not show):
            doc, units = self._regions(doc_id)
            regions = [Region(s, e, sp, sp not in skip_speakers) for s, e, sp in units]
            for row in autocode_regions(doc.text, regions, codebook, unit=unit):
                row["doc_id"] = doc_id
                rows.append(row)
        if method == "learned":
            rows = self._learned_rows(rows, training, skip_speakers)  # type: ignore[arg-type]
        return self._replace_auto(coder, rows)

    def _learned_rows(self, rule_rows: list[dict[str, Any]],
                      training: str | Path | pd.DataFrame | Sequence[str | Path],
                      skip_speakers: Collection[str]) -> list[dict[str, Any]]:
        from .evaluation import read_passage_codings
        from .learn import sentence_table, train_coder

        if isinstance(training, pd.DataFrame):
            passages = training
        else:
            files = [training] if isinstance(training, str | Path) else list(training)
            passages = pd.concat([read_passage_codings(str(f)) for f in files])
        factors = [c.code_id for c in self.codebook.factors()]
        rules = pd.DataFrame(rule_rows, columns=["doc_id", "start", "end", "code_id", "factor",
                                                 "valence"])
        table = sentence_table(self.segments(), rules, factors)
        model = train_coder(table, passages, factors=factors,
                            factor_of={c.code_id: c.factor for c in self.codebook})
        coded = [i for i, sp in enumerate(table["speaker"]) if sp not in skip_speakers]
        sub = {(r.doc_id, r.start, r.factor): r.code_id for r in rules.itertuples()}
        out = []
        for p in model.predict(table, coded).itertuples():
            sent = table.iloc[p.row]
            code_id = sub.get((sent["doc_id"], sent["start"], p.factor), p.factor)
            out.append({"doc_id": sent["doc_id"], "start": int(sent["start"]),
                        "end": int(sent["end"]), "code_id": code_id, "factor": p.factor,
                        "valence": p.valence, "confidence": round(p.probability, 4),
                        "text": sent["text"], "cues": f"learned (p={p.probability:.2f})"})
        return out

    def _regions(self, doc_id: str) -> tuple[Document, list[tuple[int, int, str | None]]]:
        s = store.segments
        with self._engine.connect() as conn:
            units = conn.execute(sa.select(s.c.start, s.c.end, s.c.speaker).where(
                s.c.doc_id == doc_id, s.c.kind != "sentence").order_by(s.c.position)).all()
        return self.document(doc_id), [tuple(u) for u in units]  # type: ignore[misc]

    def _replace_auto(self, coder: str, rows: list[dict[str, Any]]) -> dict[str, int]:
        c = store.codings
        with self._engine.begin() as conn:
            store.ensure_coder(conn, coder, "auto")
            conn.execute(c.delete().where(c.c.coder == coder, c.c.origin == "auto"))
            manual = {tuple(r) for r in conn.execute(sa.select(
                c.c.doc_id, c.c.start, c.c.end, c.c.code_id).where(c.c.origin == "manual"))}
            stamp = store.now()
            keep = [r for r in rows if (r["doc_id"], r["start"], r["end"], r["code_id"]) not in manual]
            store.insert_many(conn, c, ({
                "doc_id": r["doc_id"], "start": r["start"], "end": r["end"],
                "code_id": r["code_id"], "coder": coder, "origin": "auto",
                "valence": r["valence"], "confidence": r["confidence"], "memo": r["cues"],
                "text": r["text"], "created": stamp, "updated": stamp} for r in keep))
        return {"documents": len({r["doc_id"] for r in rows}), "codings": len(keep),
                "skipped_manual": len(rows) - len(keep)}

    # ------------------------------------------------------------------ analysis surface
    def codings(self, *, coder: str | Sequence[str] | None = None, origin: str | None = None,
                group: str | Sequence[str] | None = None,
                code: str | Sequence[str] | None = None,
                factor: str | Sequence[str] | None = None, lang: str = "en") -> pd.DataFrame:
        """The tidy frame every analysis uses: one row per coding with document metadata.

        Columns and dtypes are :data:`uppks_qual.schema.CODING_DTYPES`. Filters are
        keyword arguments (a string or a list of strings).
        """
        c, d = store.codings, store.documents
        q = sa.select(c.c.coding_id, c.c.doc_id, d.c.group, d.c.village, d.c.source_type,
                      d.c.informant_role, d.c.informant, c.c.start, c.c.end, c.c.code_id,
                      c.c.valence, c.c.coder, c.c.origin, c.c.confidence, c.c.text).join(d)
        for column, value in ((c.c.coder, coder), (c.c.origin, origin), (d.c.group, group),
                              (c.c.code_id, code)):
            if value is not None:
                q = q.where(column.in_([value] if isinstance(value, str) else list(value)))
        q = q.order_by(d.c.position, c.c.start, c.c.end, c.c.code_id, c.c.coder)
        with self._engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
            groups = sorted(conn.execute(sa.select(d.c.group).distinct()).scalars())
        cb = self.codebook
        frame = pd.DataFrame(rows, columns=[x for x in CODING_COLUMNS
                                            if x not in ("code_label", "factor")])
        frame["code_label"] = [cb[x].label(lang) for x in frame["code_id"]]
        frame["factor"] = [cb[x].factor for x in frame["code_id"]]
        if factor is not None:
            frame = frame[frame["factor"].isin([factor] if isinstance(factor, str) else factor)]
        return codings_frame(frame, groups=groups, factors=[x.code_id for x in cb.top_level()])

    # ------------------------------------------------------------------ agreement
    def _units(self, coders: Sequence[str], scope: pd.DataFrame | None) -> pd.DataFrame:
        if scope is not None:
            return scope[["doc_id", "start", "end"]]
        warnings.warn("no scope= given: every sentence of the documents both coders coded "
                      "counts as read by both, which overstates agreement when they coded a "
                      "sample; pass the passages they read", UserWarning, stacklevel=3)
        coded = self.codings(coder=list(coders))
        both = set.intersection(*(set(coded.loc[coded["coder"] == c, "doc_id"]) for c in coders))
        sents = self.segments(kind="sentence")
        return sents[sents["doc_id"].isin(both)][["doc_id", "start", "end"]]

    def agreement(self, coders: Sequence[str] = ("ana", "budi"), *, unit: str = "segment",
                  level: str = "factor", scope: pd.DataFrame | None = None) -> pd.DataFrame:
        """Inter-coder agreement per code, plus an ``overall`` row.

        ``unit="segment"``: presence/absence of each code on each passage both coders read
        (``scope``: a frame of ``doc_id, start, end``; default: every sentence of the documents
        both coders coded), with percent agreement, Cohen's kappa and, overall, Krippendorff's
        alpha. ``unit="character"``: NVivo-style character comparison per code and document,
        pooled per code and overall (weighted by document length). See
        :mod:`uppks_qual.text_agreement`.
        """
        from .text_agreement import character_agreement_table, segment_agreement

        if unit not in ("segment", "character"):
            raise ValueError(f"The 'unit' parameter of agreement must be one of "
                             f"{{'segment', 'character'}}. Got {unit!r} instead.")
        df = self.codings(coder=list(coders))
        units = self._units(coders, scope)
        if unit == "segment":
            return segment_agreement(df, units, coders, level=level)
        return character_agreement_table(df, self.documents(), coders, level=level,
                                         units=units if scope is not None else None)

    def disagreements(self, coders: Sequence[str] = ("ana", "budi"), *, code: str | None = None,
                      level: str = "factor", scope: pd.DataFrame | None = None) -> pd.DataFrame:
        """The passages where two coders differ, with text and both codings, in reading order."""
        from .text_agreement import find_disagreements

        texts = {d: self.document(d).text for d in self.documents()["doc_id"]}
        return find_disagreements(self.codings(coder=list(coders)), self._units(coders, scope),
                                  coders, level=level, code=code, texts=pd.Series(texts))

    # ------------------------------------------------------------------ interchange
    def export_qdpx(self, path: str | Path, **kwargs: Any) -> Path:
        """Export a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

        Positions are Unicode code points of the exported plain text. See
        :func:`uppks_qual.interop.export_qdpx`.
        """
        from .interop.refi import export_qdpx

        return export_qdpx(self, path, **kwargs)

    @classmethod
    def import_qdpx(cls, source: str | Path, path: str | Path, **kwargs: Any) -> Project:
        """Create a project at ``path`` from a REFI-QDA ``.qdpx``/``.qde`` written by any tool
        (all or nothing). See :func:`uppks_qual.interop.import_qdpx`."""
        from .interop.refi import import_qdpx

        return import_qdpx(source, path, **kwargs)

    def export_tables(self, path: str | Path, **kwargs: Any) -> Path:
        """Excel workbook for SPSS/R/Excel users: codings, code x document presence, code x
        group frequencies, framework matrix with quotes, documents (one sheet each)."""
        from .interop.tables import export_tables

        return export_tables(self, path, **kwargs)

    # ------------------------------------------------------------------ display
    def show(self, doc_id: str, *, coder: str | None = None, origin: str | None = None,
             jupyter: bool | None = None, lang: str = "en") -> str | None:
        """Render a document with its coded spans highlighted (spaCy displaCy ``span`` style)."""
        from spacy import displacy

        from .nlp import get_nlp

        doc = self.document(doc_id)
        frame = self.codings(coder=coder, origin=origin)
        frame = frame[frame["doc_id"] == doc_id]
        sdoc = get_nlp().make_doc(doc.text)
        spans = []
        for row in frame.itertuples():
            span = sdoc.char_span(row.start, row.end, alignment_mode="expand")
            if span is not None:
                spans.append(span)
                span.label_ = self.codebook[row.code_id].label(lang)
        from spacy.tokens import SpanGroup

        sdoc.spans["sc"] = SpanGroup(sdoc, name="sc", spans=spans)
        colours = {c.label(lang): c.colour for c in self.codebook}
        return displacy.render(sdoc, style="span", jupyter=jupyter,
                               options={"colors": colours, "spans_key": "sc"})


def show(project: Project, doc_id: str, **kwargs: Any) -> str | None:
    """Render ``doc_id`` of ``project`` with its codings highlighted (see :meth:`Project.show`)."""
    return project.show(doc_id, **kwargs)


# ------------------------------------------------------------------ helpers
def find_quote(text: str, quote: str, *, doc_id: str, occurrence: int | None = None) -> int:
    """Start offset of ``quote`` in ``text``; an error if absent or ambiguous."""
    if not quote:
        raise SpanError("empty quote; give the exact words to code", doc_id=doc_id)
    starts, i = [], text.find(quote)
    while i >= 0:
        starts.append(i)
        i = text.find(quote, i + 1)
    if not starts:
        raise SpanError(f"quote {quote[:60]!r} not found in document {doc_id!r}; copy the exact "
                        "words (offsets are into the LF/NFC-normalised text)", doc_id=doc_id)
    if occurrence is None:
        if len(starts) > 1:
            raise SpanError(f"quote {quote[:60]!r} occurs {len(starts)} times in {doc_id!r} (at "
                            f"offsets {starts[:10]}); pass occurrence=1..{len(starts)}",
                            doc_id=doc_id, offsets=starts)
        return starts[0]
    if not 1 <= occurrence <= len(starts):
        raise SpanError(f"occurrence={occurrence} but quote occurs {len(starts)} time(s) in "
                        f"{doc_id!r}", doc_id=doc_id)
    return starts[occurrence - 1]


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _valence(valence: str | None) -> str | None:
    if valence is not None and valence not in VALENCES:
        raise SpanError(f"The 'valence' parameter must be one of {set(VALENCES)} or None. "
                        f"Got {valence!r} instead.")
    return valence


def _document(row: Any) -> Document:
    return Document(doc_id=row["doc_id"], text=row["text"], group=row["group"],
                    village=row["village"], source_type=row["source_type"],
                    informant_role=row["informant_role"], informant=row["informant"],
                    date=row["date"], meta=json.loads(row["meta"]), path=row["path"])


def _segments_of(corpus: Corpus | Iterable[Document], doc: Document) -> list[Any]:
    if isinstance(corpus, Corpus):
        return corpus.iter_segments(doc.doc_id)
    from .corpus import DEFAULT_SPEAKERS, ParsedDocument, parse_paragraphs, parse_turns

    text = doc.text
    if doc.source_type == "interview":
        speakers = {**DEFAULT_SPEAKERS, **dict(doc.meta.get("speakers") or {})}
        units = parse_turns(text, speakers, doc.path or doc.doc_id, 1)
    else:
        units = parse_paragraphs(text)
    return segment_document(ParsedDocument(doc, tuple(units)))
