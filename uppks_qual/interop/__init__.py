"""Exchange with other tools: REFI-QDA projects and codebooks, Excel and CSV tables.

* :func:`export_qdpx` / :func:`import_qdpx`: REFI-QDA projects (``.qdpx``), the format
  NVivo, ATLAS.ti, MAXQDA and QualCoder exchange projects with;
* :func:`export_qdc` / :func:`read_qdc`: REFI-QDA codebooks (``.qdc``);
* :func:`export_tables` / :func:`export_csv`: the codings frame and its summary tables as an
  Excel workbook or CSV files.

Examples
--------
>>> from uppks_qual.interop import export_qdpx, import_qdpx, export_tables
>>> export_qdpx(project, "uppks.qdpx")                       # doctest: +SKIP
>>> copy = import_qdpx("uppks.qdpx", "copy.uqp")             # doctest: +SKIP
>>> export_tables(project, "uppks.xlsx")                     # doctest: +SKIP
"""

from __future__ import annotations

from .refi import (
    RefiWarning,
    export_qdc,
    export_qdpx,
    import_qdpx,
    read_qdc,
    validate_refi,
)
from .tables import build_tables, export_csv, export_tables

__all__ = [
    "RefiWarning",
    "build_tables",
    "export_csv",
    "export_qdc",
    "export_qdpx",
    "export_tables",
    "import_qdpx",
    "read_qdc",
    "validate_refi",
]
