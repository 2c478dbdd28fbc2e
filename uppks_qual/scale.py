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

import glob
import hashlib
import json
import pickle
import shutil
from collections.abc import Collection, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .codebook import load_codebook
from .corpus import SUFFIXES, read_file
from .errors import CorpusError, OutputError, ParameterError
from .manifest import MANIFEST_NAME, Manifest, read_manifest
from .parallel import worker_error
from .records import Codebook

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

    Raises
    ------
    CorpusError
        When a path does not exist or a pattern matches nothing.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    found: list[Path] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(text, recursive=True)
                             if Path(p).is_file())
            if not matched:
                raise CorpusError(f"the pattern {text!r} matches no file", path=text)
            found.extend(p for p in matched if p.suffix.lower() in SUFFIXES)
            continue
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES
                                and p.is_file() and not p.name.startswith((".", "~$"))))
        elif path.is_file():
            found.append(path)
        else:
            raise CorpusError("no such file or folder; give document files, folders or glob "
                              "patterns", path=path)
    files = list(dict.fromkeys(found))
    if not files:
        raise CorpusError(f"no document files ({', '.join(SUFFIXES)}) found", path=str(paths))
    return files


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
               unit: str, skip_speakers: tuple[str, ...] | None, coder: str) -> pd.DataFrame:
    """Rule-code document files: one row per coding with :data:`PARQUET_COLUMNS`, in file
    and document order (runs on a worker; ``codebook`` is the pickled codebook, ``key`` its
    digest)."""
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

    Raises
    ------
    CorpusError
        A file cannot be read (the message names it); nothing is left at ``out``.
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
    files = [str(f) for f in coding_files(paths_or_glob)]
    target = Path(out)
    _check_out(target, overwrite)
    data = pickle.dumps(cb, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha256(data).hexdigest()
    skip = None if skip_speakers is None else tuple(skip_speakers)
    chunks = [files[i:i + files_per_partition]
              for i in range(0, len(files), files_per_partition)]
    frame = dd.from_map(code_files, chunks, args=(data, key, man, unit, skip, coder),
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
    if not target.exists():
        raise CorpusError("no such Parquet folder of codings", path=target)
    info = _written_by(target)
    if lazy:
        import dask.dataframe as dd
        import pandas as pd

        frame = dd.read_parquet(target)
        kinds = {"factor": pd.CategoricalDtype(info.get("factors") or [])}
        if info.get("groups"):
            kinds["group"] = pd.CategoricalDtype(info["groups"])
        return frame.astype(kinds) if info.get("factors") else frame
    import pandas as pd

    from .schema import codings_frame

    frame = pd.read_parquet(target)
    for col, kind in PARQUET_COLUMNS.items():
        if kind == "string":
            values = frame[col].astype(object)
            frame[col] = values.where(values.notna(), None)
    return codings_frame(frame.drop(columns=["cues", "unit", "codebook_version"]),
                         groups=info.get("groups") or None, factors=info.get("factors") or None)


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
              source: str) -> list[dict[str, Any]]:
    """Checked automatic coding rows (``doc_id, start, end, code_id, valence, confidence,
    text, cues``) from a frame of codings made outside a project, for the project whose
    documents are ``texts`` and whose codebook has ``codes``.

    Raises
    ------
    ImportProblem
        Listing the bad rows (first 20): missing columns, unknown document or code, offsets
        outside the text, ``text`` not the document's text there.
    """
    from .errors import ImportProblem

    needed = ("doc_id", "start", "end", "code_id", "valence", "confidence", "text")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ImportProblem(f"{source} has no column(s) {', '.join(missing)}; automatic codings "
                            f"need {', '.join(needed)}", path=source)
    cues = frame["cues"] if "cues" in frame.columns else [""] * len(frame)
    rows, bad = [], []
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
