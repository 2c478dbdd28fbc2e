"""Safety limits for everything uppks-qual reads: sizes, nesting depths and counts.

Every reader (corpus files and front matter, codebooks, manifests, CSV files, REFI-QDA
archives and XML) checks these limits **while it streams**, before the memory is spent, and
raises :class:`~uppks_qual.errors.LimitError` naming the file and the limit. The defaults sit
far above real qualitative projects (the largest REFI-QDA projects we know of are a few
hundred MB with a few hundred thousand elements, nesting under 20 levels), so they only stop
hostile or broken input: zip bombs, YAML alias bombs, absurdly deep nesting.

Raise a limit for input you trust::

    from uppks_qual import limits
    with limits.override(max_member_bytes=4 * 2**30):
        project = Project.import_qdpx("huge.qdpx", "huge.uqp")

or for the whole session with :func:`set_limits`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import LimitError, ParameterError

__all__ = ["RATIO_FLOOR", "Limits", "check", "check_inflated", "current", "override", "set_limits"]

MiB = 2**20
GiB = 2**30


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force; see the module docstring. All are inclusive maxima.

    Attributes
    ----------
    max_file_bytes : int, default 512 MiB
        One text file read whole: a corpus document, codebook, manifest or CSV file.
    max_member_bytes : int, default 1 GiB
        One member of a ``.qdpx`` archive, inflated (a source text or project.qde).
    max_archive_bytes : int, default 4 GiB
        All members of a ``.qdpx`` that are read, inflated, together.
    max_compression_ratio : float, default 1000
        Inflated / compressed size of a member larger than 1 MiB (text compresses 3-10x;
        a zip bomb 1000x or more).
    max_xml_elements : int, default 20,000,000
        Elements in one XML file (project.qde, .qdc).
    max_depth : int, default 100
        Nesting depth of XML elements, YAML collections and JSON values.
    max_yaml_nodes : int, default 1,000,000
        YAML values after alias expansion (an alias counts the values it stands for).
    max_csv_rows : int, default 10,000,000
        Rows in one CSV file.
    max_text_chars : int, default 50,000,000
        Characters in one document's text.
    """

    max_file_bytes: int = 512 * MiB
    max_member_bytes: int = 1 * GiB
    max_archive_bytes: int = 4 * GiB
    max_compression_ratio: float = 1000.0
    max_xml_elements: int = 20_000_000
    max_depth: int = 100
    max_yaml_nodes: int = 1_000_000
    max_csv_rows: int = 10_000_000
    max_text_chars: int = 50_000_000


_DEFAULT = Limits()
_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar(
    "uppks_qual_limits", default=_DEFAULT)  # frozen, so safe to share


def current() -> Limits:
    """The limits in force (the defaults unless changed by :func:`set_limits`/:func:`override`)."""
    return _CURRENT.get()


def _changed(**changes: Any) -> Limits:
    names = {f.name for f in fields(Limits)}
    for key, value in changes.items():
        if key not in names:
            raise ParameterError(f"unknown limit {key!r}; the limits are {sorted(names)}",
                                 parameter=key, function="limits", value=value)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ParameterError(f"limit {key!r} must be a positive number. Got {value!r}.",
                                 parameter=key, function="limits", value=value)
    return replace(current(), **changes)


def set_limits(**changes: Any) -> Limits:
    """Change limits for the rest of the session (this context); returns the new limits.

    Examples
    --------
    >>> from uppks_qual import limits
    >>> old = limits.current()
    >>> limits.set_limits(max_depth=200).max_depth
    200
    >>> _ = limits.set_limits(max_depth=old.max_depth)
    """
    new = _changed(**changes)
    _CURRENT.set(new)
    return new


@contextmanager
def override(**changes: Any) -> Iterator[Limits]:
    """Change limits inside a ``with`` block only.

    Examples
    --------
    >>> from uppks_qual import limits
    >>> with limits.override(max_depth=5) as lim:
    ...     lim.max_depth
    5
    >>> limits.current().max_depth
    100
    """
    token = _CURRENT.set(_changed(**changes))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def check(name: str, value: int | float, *, path: str | Path | None, what: str,
          error: type[LimitError] = LimitError, **where: Any) -> None:
    """Raise ``error`` when ``value`` exceeds the limit ``name``.

    ``what`` says what was measured ("inflated size of sources/a.txt"); ``where`` passes
    ``line``/``offset`` and other attributes to the error.

    Examples
    --------
    >>> check("max_depth", 3, path="x.yaml", what="nesting depth")
    >>> check("max_depth", 101, path="x.yaml", what="nesting depth")
    Traceback (most recent call last):
    ...
    uppks_qual.errors.LimitError: x.yaml: nesting depth 101 exceeds the limit max_depth=100; ...
    """
    maximum = getattr(current(), name)
    if value > maximum:
        raise error(f"{what} {value:,} exceeds the limit {name}={maximum:,}; the file is "
                    "refused as broken or hostile. If you trust it, raise the limit with "
                    f"uppks_qual.limits.override({name}=...)", limit=name, value=value,
                    maximum=maximum, path=path, **where)


#: The compression ratio of a zip member is checked only above this inflated size (small
#: members of repetitive text legitimately compress far).
RATIO_FLOOR = 2**20


def check_inflated(member: str, size: int, compressed: int, total: int, *,
                   path: str | Path | None, declared: bool,
                   error: type[LimitError] = LimitError, **where: Any) -> None:
    """Check one zip member against ``max_member_bytes`` and ``max_compression_ratio``, and
    the archive's inflated ``total`` so far (this member included) against
    ``max_archive_bytes``.

    The one zip-bomb check: the REFI-QDA reader calls it with a member's declared size before
    reading and with the running count while it inflates; the corpus loader with the declared
    sizes of a ``.docx`` before python-docx opens it.

    Examples
    --------
    >>> check_inflated("a.txt", 2**30, 2**22, 2**30, path="x.qdpx", declared=True)
    >>> check_inflated("b.txt", 2**31, 2**20, 2**31, path="x.qdpx", declared=True)
    Traceback (most recent call last):
    ...
    uppks_qual.errors.LimitError: x.qdpx: declared inflated size of member 'b.txt' ...
    """
    what = f"{'declared ' if declared else ''}inflated size of member {member!r}"
    check("max_member_bytes", size, path=path, what=what, error=error, **where)
    check("max_archive_bytes", total, path=path, error=error,
          what=f"inflated size of the members read so far (with {member!r})", **where)
    if size > RATIO_FLOOR:
        check("max_compression_ratio", round(size / max(compressed, 1), 1), path=path,
              error=error, what=f"compression ratio (inflated / compressed size) of member "
              f"{member!r}", **where)
