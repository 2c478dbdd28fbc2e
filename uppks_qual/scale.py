"""Automatic coding and counting past one machine, on Dask.

For corpora that outgrow a project (thousands of transcripts, news or social-media text in
Indonesian), :func:`autocode_corpus` rule-codes document files on Dask (a
``dask.dataframe.from_map`` over blocks of files) and writes the codings as Parquet partitions; :func:`read_codings` reads them back
lazily as a ``dask.dataframe`` that :func:`~uppks_qual.analysis.code_frequencies` and
:func:`~uppks_qual.analysis.case_matrix` count without loading it whole. The codings are the
ones :meth:`Project.autocode <uppks_qual.project.Project.autocode>` makes of the same files
(same rows, offsets, valence and confidence), with the document's metadata and the passage
each coding comes from (``speaker``, ``case``, ``kind``) as columns.

The project (SQLite) stays the home of human coding: the Dask path codes and counts at
scale, and :meth:`Project.import_auto_codings <uppks_qual.project.Project.import_auto_codings>`
brings its Parquet output into a project.

Examples
--------
>>> from dask.distributed import Client                                  # doctest: +SKIP
>>> client = Client("tcp://scheduler:8786")          # or Client(LocalCluster(...))  # doctest: +SKIP
>>> uq.autocode_corpus("transcripts/**/*.txt", "codebook.yaml", out="codings.parquet",
...                    client=client, manifest="transcripts/corpus.yaml")  # doctest: +SKIP
>>> df = uq.read_codings("codings.parquet")          # lazy: a dask DataFrame    # doctest: +SKIP
>>> uq.code_frequencies(df)                           # counted by the workers   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import pickle
import shutil
from collections.abc import Collection, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits
from .codebook import load_codebook
from .corpus import SUFFIXES, TEXT_SUFFIXES, read_file, read_table
from .errors import (
    CorpusError,
    FrontMatterError,
    ImportProblem,
    OutputError,
    ParameterError,
    QualError,
)
from .manifest import MANIFEST_NAME, Manifest, read_manifest
from .parallel import worker_error
from .records import Codebook
from .textio import normalise, parse_yaml

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PARQUET_COLUMNS", "autocode_corpus", "coding_files", "read_codings"]

#: Columns of the Parquet codings, in order (all strings but the offsets and confidence).
PARQUET_COLUMNS: dict[str, str] = {
    "doc_id": "string", "group": "string", "village": "string", "source_type": "string",
    "informant_role": "string", "informant": "string", "case": "string", "speaker": "string",
    "kind": "string", "start": "int64", "end": "int64", "code_id": "string",
    "factor": "string", "valence": "string", "coder": "string", "origin": "string",
    "confidence": "float64", "text": "string", "cues": "string", "unit": "string",
    "codebook_version": "string",
}

#: Codebooks a worker has seen, by content: the same object is reused, so the matchers the
#: rule coder compiles for it are compiled once per worker, not once per partition.
_CODEBOOKS: dict[str, Codebook] = {}


def coding_files(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """The document files ``paths`` names: files, folders (searched recursively for
    ``.txt/.md/.docx/.csv``) or glob patterns (``"transcripts/**/*.txt"``), sorted, each once.

    A path that exists is taken as it is, even when its name holds ``*``, ``?`` or ``[ ]``
    (a folder ``"Transkrip [2004]"``); only a path that does not exist is a glob pattern. A
    file named twice (by a folder and a pattern, relative and absolute, through a symbolic
    link) is listed once, where it is first named.

    Raises
    ------
    CorpusError
        When a path does not exist or a pattern matches nothing.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    found: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES
                                and p.is_file() and not p.name.startswith((".", "~$"))))
        elif path.is_file():
            found.append(path)
        elif any(ch in text for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(text, recursive=True)
                             if Path(p).is_file())
            if not matched:
                hint = ("; in a pattern [ ] match one character of a set: for a folder or file "
                        "whose name holds them write [[] for [ and []] for ] (glob.escape)"
                        if "[" in text else "")
                raise CorpusError(f"the pattern {text!r} matches no file{hint}", path=text)
            found.extend(p for p in matched if p.suffix.lower() in SUFFIXES)
        else:
            raise CorpusError("no such file or folder; give document files, folders or glob "
                              "patterns", path=path)
    unique: dict[Path, Path] = {}
    for file in found:
        unique.setdefault(_same_file(file), file)
    files = list(unique.values())
    if not files:
        raise CorpusError(f"no document files ({', '.join(SUFFIXES)}) found", path=str(paths))
    return files


def _same_file(path: Path) -> Path:
    """What tells two names of one file apart from two files: the resolved path."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links: the worker names it
        return path.absolute()


def _front_id(path: Path) -> list[tuple[str, int]]:
    """The ``id`` of a text document and its line, read from the front matter alone (the
    file's head); nothing when it has no front matter the reader would accept (the worker
    that reads the file names the problem)."""
    maximum = limits.current().max_file_bytes
    lines: list[str] = []
    size = 0
    with path.open("rb") as handle:
        for raw in handle:  # b"\n" never occurs inside a UTF-8 sequence
            size += len(raw)
            if size > maximum:
                return []
            new = normalise(raw.decode("utf-8", "replace")).split("\n")
            if new[-1] == "":
                new.pop()
            for line in new:
                if not lines and line.removeprefix("\ufeff").strip() != "---":
                    return []
                if lines and line.strip() in ("---", "..."):
                    yd = parse_yaml("\n".join(lines[1:]), path, first_line=2,
                                    error=FrontMatterError)
                    if not isinstance(yd.data, dict) or yd.data.get("id") in (None, ""):
                        return []
                    return [(str(yd.data["id"]), yd.line_of(yd.data, "id"))]
                lines.append(line)
    return []


def _doc_ids(path: Path, manifest: Manifest) -> list[tuple[str, int]]:
    """The ids of the documents in one file, with the line of each (empty when the file
    cannot be read: the worker reading it names the problem)."""
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            return _front_id(path)
        if suffix == ".csv":
            frame, _how = read_table(path)
            if "doc_id" not in frame.columns:
                return []
            return [(str(d), int(line)) for d, line in
                    zip(frame["doc_id"], frame.index, strict=True) if d not in ("", None)]
        return [(p.document.doc_id, p.id_line) for p in read_file(path, manifest)]
    except (QualError, OSError):
        return []


def check_doc_ids(files: Sequence[Path], manifest: Manifest) -> None:
    """Refuse two files holding a document with the same id, as :func:`load_corpus` does,
    reading only their front matter (here, before any worker starts).

    Raises
    ------
    FrontMatterError
        Naming both files, the id and the line of the second; ``duplicates`` lists every
        ``(doc_id, file, other_file)``.
    """
    seen: dict[str, Path] = {}
    duplicates: list[tuple[str, Path, int, Path]] = []
    for file in files:
        ids: dict[str, int] = {}
        for doc_id, line in _doc_ids(file, manifest):
            ids.setdefault(doc_id, line)
        for doc_id, line in ids.items():
            other = seen.setdefault(doc_id, file)
            if other != file:
                duplicates.append((doc_id, file, line, other))
    if not duplicates:
        return
    doc_id, file, line, other = duplicates[0]
    more = "" if len(duplicates) == 1 else (
        f" ({len(duplicates) - 1} more duplicate id(s): "
        f"{', '.join(sorted({d[0] for d in duplicates[1:]})[:10])})")
    raise FrontMatterError(
        f"duplicate document id {doc_id!r} (also in {other}); ids must be unique: give one of "
        f"the two documents another id, or leave one of the files out{more}; nothing was "
        "coded", path=file, line=line, doc_id=doc_id, other=str(other),
        duplicates=[(d, str(f), str(o)) for d, f, _line, o in duplicates])


def _manifest(paths: str | Path | Sequence[str | Path],
              manifest: Manifest | str | Path | None) -> Manifest:
    """The manifest given, else ``corpus.yaml`` in the one folder given, else the default."""
    if isinstance(manifest, Manifest):
        return manifest
    if manifest is not None:
        return read_manifest(manifest)
    if isinstance(paths, str | Path) and Path(paths).is_dir() and \
            (Path(paths) / MANIFEST_NAME).exists():
        return read_manifest(Path(paths) / MANIFEST_NAME)
    return Manifest()


def _codebook(data: bytes, key: str) -> Codebook:
    if key not in _CODEBOOKS:
        _CODEBOOKS[key] = pickle.loads(data)  # our own codebook, pickled by the caller
    return _CODEBOOKS[key]


def code_files(files: Sequence[str], codebook: bytes, key: str, manifest: Manifest,
               unit: str, skip_speakers: tuple[str, ...] | None, coder: str,
               limits_in_force: limits.Limits | None = None) -> pd.DataFrame:
    """Rule-code document files: one row per coding with :data:`PARQUET_COLUMNS`, in file
    and document order (runs on a worker; ``codebook`` is the pickled codebook, ``key`` its
    digest; ``limits_in_force``: the caller's :mod:`~uppks_qual.limits`, in force while the
    files are read)."""
    if limits_in_force is None:
        return _code_files(files, codebook, key, manifest, unit, skip_speakers, coder)
    with limits.override(**dataclasses.asdict(limits_in_force)):
        return _code_files(files, codebook, key, manifest, unit, skip_speakers, coder)


def _code_files(files: Sequence[str], codebook: bytes, key: str, manifest: Manifest,
                unit: str, skip_speakers: tuple[str, ...] | None, coder: str) -> pd.DataFrame:
    import pandas as pd

    from .autocode import autocode_segments
    from .passages import locate

    cb = _codebook(codebook, key)
    skip = tuple(manifest.interviewer_labels) if skip_speakers is None else skip_speakers
    rows: list[dict[str, Any]] = []
    documents = {}
    for file in files:
        for parsed in read_file(Path(file), manifest):
            doc = parsed.document
            documents[doc.doc_id] = doc
            found = autocode_segments(doc.text, parsed.units, cb, unit=unit,
                                      skip_speakers=skip)
            meta = {"doc_id": doc.doc_id, "group": doc.group, "village": doc.village,
                    "source_type": doc.source_type, "informant_role": doc.informant_role,
                    "informant": doc.informant}
            rows.extend({**row, **meta} for row in found)
    if not rows:
        return _meta()
    frame = locate(pd.DataFrame(rows), documents,
                   interviewer_labels=manifest.interviewer_labels)
    frame["coder"], frame["origin"], frame["codebook_version"] = coder, "auto", cb.version
    frame = frame[list(PARQUET_COLUMNS)]
    for col, kind in PARQUET_COLUMNS.items():
        if kind == "string":  # text, or missing (None, NaN) as <NA>
            values = frame[col].astype(object)
            frame[col] = values.where(values.notna(), None).astype("string")
    return frame.reset_index(drop=True)


def _meta() -> pd.DataFrame:
    """An empty frame of :data:`PARQUET_COLUMNS` (Dask's ``meta``)."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PARQUET_COLUMNS.items()})


def autocode_corpus(paths_or_glob: str | Path | Sequence[str | Path],
                    codebook: Codebook | str | Path, *, out: str | Path = "codings.parquet",
                    client: Any = None, manifest: Manifest | str | Path | None = None,
                    unit: str = "sentence", skip_speakers: Collection[str] | None = None,
                    coder: str = "auto", files_per_partition: int = 64,
                    overwrite: bool = False) -> Path:
    """Rule-code document files on Dask and write the codings as Parquet partitions.

    Parameters
    ----------
    paths_or_glob : str, Path or list of them
        Document files, folders or glob patterns (:func:`coding_files`).
    codebook : Codebook or path
    out : str or Path
        The Parquet folder to write (one file per partition of ``files_per_partition``
        files). It must not exist unless ``overwrite=True`` (then it must be a folder this
        function wrote).
    client : distributed.Client, optional
        Where to run: a client of a ``LocalCluster`` or of a real scheduler
        (``Client("tcp://host:8786")``; the workers need uppks-qual installed and the files
        at the same paths). Default: Dask's local process pool.
    manifest : Manifest or path, optional
        The study manifest (interviewer labels, speakers); default ``corpus.yaml`` of the
        folder given.
    unit, skip_speakers
        As :meth:`Project.autocode <uppks_qual.project.Project.autocode>` (default
        ``skip_speakers``: the manifest's interviewer labels).
    coder : str
        The coder name written in the ``coder`` column.

    Returns
    -------
    Path
        ``out``; read it with :func:`read_codings`.

    The :mod:`~uppks_qual.limits` in force here (``limits.override(...)``) are in force on
    the workers too. Files are given to the workers by absolute path.

    Raises
    ------
    CorpusError
        A file cannot be read (the message names it); nothing is left at ``out``.
    FrontMatterError
        Two files hold a document with the same id (checked from their front matter before
        any worker starts; nothing is written).
    """
    import dask.dataframe as dd

    from .autocode import UNITS
    from .store import check_coder

    if unit not in UNITS:
        raise ParameterError(f"The 'unit' parameter of autocode_corpus must be one of "
                             f"{', '.join(UNITS)}; got {unit!r}", parameter="unit",
                             function="autocode_corpus", value=unit)
    if not isinstance(files_per_partition, int) or files_per_partition < 1:
        raise ParameterError("The 'files_per_partition' parameter of autocode_corpus must be a "
                             f"positive int; got {files_per_partition!r}",
                             parameter="files_per_partition", function="autocode_corpus",
                             value=files_per_partition)
    check_coder(coder)
    cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    man = _manifest(paths_or_glob, manifest)
    found = coding_files(paths_or_glob)
    target = Path(out)
    _check_out(target, overwrite)
    check_doc_ids(found, man)
    files = [str(f.absolute()) for f in found]  # a worker's folder is not ours
    data = pickle.dumps(cb, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha256(data).hexdigest()
    skip = None if skip_speakers is None else tuple(skip_speakers)
    chunks = [files[i:i + files_per_partition]
              for i in range(0, len(files), files_per_partition)]
    frame = dd.from_map(code_files, chunks,
                        args=(data, key, man, unit, skip, coder, limits.current()),
                        meta=_meta(), divisions=[None] * (len(chunks) + 1),
                        enforce_metadata=False)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    scheduler = client if client is not None else "processes"
    try:
        frame.to_parquet(partial, write_index=False, compute_kwargs={"scheduler": scheduler},
                         schema=_schema(), custom_metadata={b"uppks_qual": json.dumps({
                             "codebook_version": cb.version, "files": len(files),
                             "factors": [c.code_id for c in cb.top_level()],
                             "groups": list(man.groups)}).encode()})
    except BrokenProcessPool:
        shutil.rmtree(partial, ignore_errors=True)
        raise worker_error() from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)
    return target


def _schema() -> Any:
    import pyarrow as pa

    kinds = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    return pa.schema([(c, kinds[t]) for c, t in PARQUET_COLUMNS.items()])


def _check_out(target: Path, overwrite: bool) -> None:
    if not target.exists():
        if not target.parent.is_dir():
            raise OutputError("the folder to write into does not exist", path=target.parent)
        return
    if not overwrite:
        raise OutputError("already exists; give overwrite=True to replace it, or another "
                          "out=", path=target)
    files = list(target.iterdir()) if target.is_dir() else None
    if files is None or any(f.suffix != ".parquet" and not f.name.startswith("_")
                            for f in files):
        raise OutputError("is not a Parquet folder of codings; not replaced", path=target)


def read_codings(path: str | Path, *, lazy: bool = True) -> Any:
    """The codings :func:`autocode_corpus` wrote.

    ``lazy=True`` (default): a ``dask.dataframe.DataFrame`` (:data:`PARQUET_COLUMNS`) that
    :func:`~uppks_qual.analysis.code_frequencies`, :func:`~uppks_qual.analysis.case_matrix`
    and :func:`~uppks_qual.analysis.valence_balance` aggregate on the workers; ``lazy=False``:
    a pandas frame with the dtypes of ``project.codings()``, ready for every analysis
    function. Either way ``factor`` is categorical in the codebook's order and ``group`` in
    the manifest's order (when it declares groups), as in a project, so counts come out in the
    same order.
    """
    target = Path(path)
    _check_parquet(target, error=CorpusError)
    info = _written_by(target)
    if lazy:
        import dask.dataframe as dd
        import pandas as pd

        try:
            frame = dd.read_parquet(target)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise _not_parquet(target, exc, CorpusError) from None
        kinds = {"factor": pd.CategoricalDtype(info.get("factors") or [])}
        if info.get("groups"):
            kinds["group"] = pd.CategoricalDtype(info["groups"])
        return frame.astype(kinds) if info.get("factors") else frame
    from .schema import codings_frame

    frame = _read_frame(target, CorpusError)
    missing = [c for c in PARQUET_COLUMNS if c not in frame.columns]
    if missing:
        raise CorpusError(f"has no column(s) {', '.join(missing)}: it is not the codings "
                          f"{_WRITER} wrote; {_GIVE}", path=target)
    for col, kind in PARQUET_COLUMNS.items():
        if kind == "string":
            values = frame[col].astype(object)
            frame[col] = values.where(values.notna(), None)
    return codings_frame(frame.drop(columns=["cues", "unit", "codebook_version"]),
                         groups=info.get("groups") or None, factors=info.get("factors") or None)


_WRITER = "uq.autocode_corpus()"
_GIVE = f"give the Parquet folder {_WRITER} wrote (its out=)"


def _check_parquet(target: Path, *, error: type[QualError], then: str = "") -> None:
    """Raise ``error`` naming ``target`` unless it is a Parquet file or a folder of them
    (``then`` ends the message: "; nothing was imported")."""
    import pyarrow.parquet as pq

    if not target.exists():
        raise error(f"no such Parquet folder of codings; {_GIVE}{then}", path=target)
    files = sorted(target.glob("*.parquet")) if target.is_dir() else [target]
    if not files:
        raise error(f"holds no Parquet files (*.parquet); {_GIVE}{then}", path=target)
    try:
        pq.read_schema(files[0])
    except (OSError, ValueError) as exc:
        raise _not_parquet(files[0], exc, error, then) from None


def _not_parquet(path: Path, exc: BaseException, error: type[QualError],
                 then: str = "") -> QualError:
    reason = " ".join(str(exc).split())[:200]
    return error(f"is not Parquet codings ({type(exc).__name__}: {reason}); {_GIVE}{then}",
                 path=path)


def read_auto_frame(source: str | Path) -> pd.DataFrame:
    """The Parquet codings at ``source`` as a pandas frame, for
    :meth:`Project.import_auto_codings <uppks_qual.project.Project.import_auto_codings>`.

    Raises
    ------
    ImportProblem
        ``source`` is missing, an empty folder or not Parquet (the message names it).
    """
    target = Path(source)
    then = "; nothing was imported"
    _check_parquet(target, error=ImportProblem, then=then)
    return _read_frame(target, ImportProblem, then)


def _read_frame(target: Path, error: type[QualError], then: str = "") -> pd.DataFrame:
    """The Parquet at ``target`` as a pandas frame; unreadable Parquet raises ``error``."""
    import pandas as pd

    try:
        return pd.read_parquet(target)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise _not_parquet(target, exc, error, then) from None


def _written_by(target: Path) -> dict[str, Any]:
    """What :func:`autocode_corpus` recorded in the Parquet files (factors, groups, codebook
    version); empty for Parquet written by something else."""
    import pyarrow.parquet as pq

    files = sorted(target.glob("*.parquet")) if target.is_dir() else [target]
    if not files:
        return {}
    meta = pq.read_schema(files[0]).metadata or {}
    try:
        return dict(json.loads(meta.get(b"uppks_qual", b"{}")))
    except (ValueError, TypeError):
        return {}


def auto_rows(frame: pd.DataFrame, *, texts: dict[str, str], codes: Collection[str],
              source: str, version: str | None) -> list[dict[str, Any]]:
    """Checked automatic coding rows (``doc_id, start, end, code_id, valence, confidence,
    text, cues``) from a frame of codings made outside a project, for the project whose
    documents are ``texts``, whose codebook has ``codes`` and is at ``version``.

    Raises
    ------
    ImportProblem
        The frame's ``codebook_version`` column (when it has one) names another version than
        ``version``; or listing the bad rows (first 20): missing columns, unknown document or
        code, offsets outside the text, ``text`` not the document's text there, a coding
        given twice.
    """
    _check_version(frame, version, source)
    needed = ("doc_id", "start", "end", "code_id", "valence", "confidence", "text")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ImportProblem(f"{source} has no column(s) {', '.join(missing)}; automatic codings "
                            f"need {', '.join(needed)}", path=source)
    cues = frame["cues"] if "cues" in frame.columns else [""] * len(frame)
    rows, bad = [], []
    first: dict[tuple[str, int, int, str], int] = {}
    for i, (doc_id, start, end, code_id, valence, confidence, text, cue) in enumerate(zip(
            frame["doc_id"], frame["start"], frame["end"], frame["code_id"], frame["valence"],
            frame["confidence"], frame["text"], cues, strict=True)):
        doc = texts.get(str(doc_id))
        problem = None
        if doc is None:
            problem = f"document {doc_id!r} is not in the project"
        elif code_id not in codes:
            problem = f"code {code_id!r} is not in the project's codebook"
        elif not 0 <= int(start) < int(end) <= len(doc):
            problem = f"offsets [{start}, {end}) outside the text (length {len(doc)})"
        elif doc[int(start):int(end)] != text:
            problem = "text differs from the document's text at these offsets (another version?)"
        elif valence not in ("positive", "negative", "neutral"):
            problem = f"valence {valence!r} is not positive, negative or neutral"
        else:
            row = first.setdefault((str(doc_id), int(start), int(end), str(code_id)), i)
            if row != i:
                problem = (f"the same coding as row {row + 1} ({doc_id} [{start}, {end}) "
                           f"{code_id}): a coding is given twice (two files with the same "
                           "doc_id, or a file coded twice?); keep one of them")
        if problem:
            bad.append(f"row {i + 1}: {problem}")
            continue
        rows.append({"doc_id": str(doc_id), "start": int(start), "end": int(end),
                     "code_id": str(code_id), "valence": str(valence),
                     "confidence": float(confidence), "text": str(text),
                     "cues": "" if cue is None else str(cue)})
    if bad:
        raise ImportProblem(f"{len(bad)} automatic coding(s) in {source} do not fit this "
                            "project; nothing was imported:\n" + "\n".join(bad[:20]),
                            path=source)
    return rows


def _check_version(frame: pd.DataFrame, version: str | None, source: str) -> None:
    """Refuse codings whose ``codebook_version`` column names another version than the
    project's codebook (a frame without the column is taken as made under it)."""
    import pandas as pd

    if "codebook_version" not in frame.columns:
        return
    found = {None if pd.isna(v) else str(v) for v in frame["codebook_version"].unique()}
    other = sorted(found - {version}, key=str)
    if not other:
        return

    def name(v: str | None) -> str:
        return "(none: a codebook without a change log)" if v is None else v

    raise ImportProblem(
        f"the codings were made under codebook version {', '.join(map(name, other))}, but "
        f"the project's codebook is version {name(version)}; nothing was imported. Re-code "
        f"the documents with the project's codebook ({_WRITER} with codebook= the project's "
        "codebook file, or project.autocode()) and import those codings",
        path=source, versions=other, project_version=version)
