"""Exchange with other tools: REFI-QDA projects and codebooks, Excel and CSV tables, codings
CSV files. Everything here takes and returns records and frames; :class:`uppks_qual.Project`
calls it (``project.export_qdpx``, ``Project.import_qdpx``, ``project.export_tables``,
``project.import_codings``), never the reverse.

* :func:`export_qdpx` / :func:`read_project`: REFI-QDA projects (``.qdpx``), the format
  NVivo, ATLAS.ti, MAXQDA and QualCoder exchange projects with;
* :func:`export_qdc` / :func:`read_qdc`: REFI-QDA codebooks (``.qdc``);
* :func:`export_tables` / :func:`export_csv`: codings and their summary tables as an Excel
  workbook or CSV files;
* :func:`read_codings_csv`: manual codings from a CSV file, validated row by row.

Submodules are imported on first use, so reading a codings CSV does not load lxml.

Examples
--------
>>> from uppks_qual.interop import export_qdc, read_qdc
>>> export_qdc(codebook, "codebook.qdc")                     # doctest: +SKIP
>>> project.export_qdpx("uppks.qdpx")                        # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..errors import RefiWarning
    from .csvio import read_codings_csv
    from .refi import ProjectData, export_qdc, export_qdpx, read_project, read_qdc, validate_refi
    from .tables import build_tables, export_csv, export_tables

_EXPORTS = {
    "RefiWarning": "..errors",
    "ProjectData": ".refi",
    "export_qdc": ".refi",
    "export_qdpx": ".refi",
    "read_project": ".refi",
    "read_qdc": ".refi",
    "validate_refi": ".refi",
    "build_tables": ".tables",
    "export_csv": ".tables",
    "export_tables": ".tables",
    "read_codings_csv": ".csvio",
}

__all__ = [
    "ProjectData",
    "RefiWarning",
    "build_tables",
    "export_csv",
    "export_qdc",
    "export_qdpx",
    "export_tables",
    "read_codings_csv",
    "read_project",
    "read_qdc",
    "validate_refi",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'uppks_qual.interop' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
