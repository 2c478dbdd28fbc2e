"""The codings frame and its summary tables as an Excel workbook or CSV files.

:func:`build_tables` makes the tables (pure: frames in, frames out); :func:`export_tables`
writes them as sheets of one ``.xlsx`` (openpyxl), :func:`export_csv` as one CSV each:

``codings``
    The tidy codings frame (one row per coding, :data:`uppks_qual.schema.CODING_COLUMNS`).
``presence``
    Code x document: 1 if the document has at least one coding of the code, else 0.
``frequencies``
    Code x group: number of codings.
``framework``
    Factor x group, counted by cases: ``<n> of <cases> cases; <p> positive, <q> negative``,
    typical quotes (one per case) and a disconfirming quote when one exists
    (:func:`uppks_qual.analysis.framework_table`).
``documents``
    One row per document with its metadata.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import framework_table
from ..errors import ParameterError
from ..schema import validate_codings

__all__ = ["SHEETS", "build_tables", "export_csv", "export_tables"]

SHEETS: tuple[str, ...] = ("codings", "presence", "frequencies", "framework", "documents")
"""Sheet (and CSV file) names, in workbook order."""

_DOC_COLUMNS = ("doc_id", "group", "village", "source_type", "informant_role", "informant")
_EXCEL_CELL_LIMIT = 32_767


def build_tables(source: pd.DataFrame | Mapping[str, Any], *,
                 quotes: int = 2) -> dict[str, pd.DataFrame]:
    """The five tables of :data:`SHEETS` from frames (pure).

    Parameters
    ----------
    source : DataFrame or mapping
        A codings frame; or ``{"codings": frame, "documents": frame, "codes": [code ids]}``
        (documents optional: without it the documents are those that have codings; codes
        optional: without it the codes that have codings). ``Project.export_tables`` passes
        the project's evidence (:meth:`uppks_qual.Project.evidence`), its documents and its
        codebook's ids.
    quotes : int, default 2
        Quotes per framework cell.

    Returns
    -------
    dict of str to DataFrame
        ``presence``, ``frequencies`` and ``framework`` are indexed by code id (factor id).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([{"doc_id": "d1", "group": "north", "start": 0, "end": 5,
    ...                      "code_id": "leadership", "text": "Rapat"}])
    >>> build_tables(df)["presence"].to_dict()
    {'d1': {'leadership': 1}}
    """
    codings, documents, codes = _inputs(source)
    groups = list(dict.fromkeys(documents["group"])) if "group" in documents else []
    presence = pd.crosstab(codings["code_id"], codings["doc_id"]).clip(upper=1)
    presence = presence.reindex(index=codes, columns=list(documents["doc_id"]), fill_value=0)
    frequencies = pd.crosstab(codings["code_id"], codings["group"].astype(str))
    frequencies = frequencies.reindex(index=codes, columns=groups, fill_value=0)
    for table, name in ((presence, "code_id"), (frequencies, "code_id")):
        table.index.name, table.columns.name = name, None
    return {"codings": codings, "presence": presence.astype("int64"),
            "frequencies": frequencies.astype("int64"),
            "framework": _framework(codings, quotes), "documents": documents}


def _inputs(source: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    if isinstance(source, pd.DataFrame):
        source = {"codings": source}
    if not isinstance(source, Mapping) or "codings" not in source:
        shown = f"keys {sorted(source)}" if isinstance(source, Mapping) else type(source).__name__
        raise ParameterError("The 'source' parameter of build_tables must be a codings frame or "
                             f"a mapping with a 'codings' frame. Got {shown} instead.",
                             parameter="source", function="build_tables", value=source)
    codings = validate_codings(source["codings"], where="build_tables")
    documents = source.get("documents")
    if documents is None:
        documents = codings[list(_DOC_COLUMNS)].drop_duplicates("doc_id").reset_index(drop=True)
    codes = list(source.get("codes") or dict.fromkeys(codings["code_id"]))
    return codings, documents, codes


def _framework(codings: pd.DataFrame, quotes: int) -> pd.DataFrame:
    if codings.empty:
        return pd.DataFrame(index=pd.Index([], name="factor"))
    with warnings.catch_warnings():  # empty cells have an undefined balance: expected here
        warnings.simplefilter("ignore", RuntimeWarning)
        return framework_table(codings, rows="factor", cols="group", quotes=quotes)


# --------------------------------------------------------------------------- writing
def export_tables(source: pd.DataFrame | Mapping[str, Any], path: str | Path, *,
                  quotes: int = 2, note: str | None = None) -> Path:
    """Write :func:`build_tables` as an Excel workbook with the sheets of :data:`SHEETS`.

    Texts longer than Excel's cell limit (32,767 characters) are cut with ``…`` and
    characters Excel cannot store (control characters) are dropped. ``note`` (where the data
    comes from) goes to a first sheet ``about``. The file is replaced atomically.

    Examples
    --------
    >>> project.export_tables("uppks.xlsx")                  # doctest: +SKIP
    """
    from openpyxl.styles import Alignment, Font

    tables = build_tables(source, quotes=quotes)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp.xlsx")
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name in SHEETS:
                frame = _excel_safe(tables[name])
                indexed = name in ("presence", "frequencies", "framework")
                frame.to_excel(writer, sheet_name=name, index=indexed)
                sheet = writer.sheets[name]
                sheet.freeze_panes = "B2" if indexed else "A2"
                for cell in sheet[1]:
                    cell.font = Font(bold=True)
                wrap = name == "framework"
                for column in sheet.columns:
                    width = max((len(str(c.value or "")) for c in column[:200]), default=8)
                    sheet.column_dimensions[column[0].column_letter].width = min(
                        max(width + 2, 8), 60)
                    if wrap:
                        for c in column[1:]:
                            c.alignment = Alignment(wrap_text=True, vertical="top")
            if note:  # where the data comes from travels with the tables
                about = writer.book.create_sheet("about", 0)
                about["A1"] = "About the data"
                about["A1"].font = Font(bold=True)
                about["A2"] = note
                about["A2"].alignment = Alignment(wrap_text=True, vertical="top")
                about.column_dimensions["A"].width = 100
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value if len(value) <= _EXCEL_CELL_LIMIT else value[: _EXCEL_CELL_LIMIT - 1] + "…"

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).map(clean)
    return out


def export_csv(source: pd.DataFrame | Mapping[str, Any], folder: str | Path, *,
               quotes: int = 2, note: str | None = None) -> dict[str, Path]:
    """Write :func:`build_tables` as ``<folder>/<sheet>.csv`` (UTF-8) files.

    Returns
    -------
    dict of str to Path
        Table name -> file written.

    Examples
    --------
    >>> project.export_tables("tables")                      # doctest: +SKIP
    {'codings': PosixPath('tables/codings.csv'), ...}
    """
    tables = build_tables(source, quotes=quotes)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in SHEETS:
        target = folder / f"{name}.csv"
        indexed = name in ("presence", "frequencies", "framework")
        tables[name].to_csv(target, index=indexed, encoding="utf-8")
        written[name] = target
    if note:  # where the data comes from travels with the tables
        about = folder / "ABOUT_THE_DATA.txt"
        about.write_text(note + "\n", encoding="utf-8")
        written["about"] = about
    return written
