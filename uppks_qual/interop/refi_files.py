"""Bounded reading of REFI-QDA archives and files: zip members and files on disk read in
chunks within :mod:`uppks_qual.limits`, and the sandbox that resolves a project's file
references (:class:`_Files`).
"""

from __future__ import annotations

import io
import lzma
import re
import struct
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from .. import limits
from ..errors import InterchangeError, InterchangeLimitError

__all__ = ["EXTERNAL_HINT", "read_file", "read_member"]

_CHUNK = 1 << 20  # archive members and files are read 1 MiB at a time
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
               RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError, struct.error)
"""What zipfile (and its decompressors) raise for a damaged, encrypted or exotic archive."""
EXTERNAL_HINT = ("uppks-qual reads only files inside the archive (or, for a .qde file, inside "
                 "its own folder): embed the text or add the file to the project; if you "
                 "trust the file, pass allow_external=True (command line: --allow-external)")
"""The end of every message refusing a file reference."""


# --------------------------------------------------------------------------- bounded reading
def _limit(name: str, value: int | float, path: Path, what: str, element: str | None) -> None:
    limits.check(name, value, path=path, what=what, error=InterchangeLimitError,
                 element=element, guid=None)


def _member_name(name: str) -> str:
    """A member's name as references use it: ``/`` separators, no leading ``/``."""
    return name.replace("\\", "/").lstrip("/")


class _Budget:
    """The inflated bytes read from one project so far (``max_archive_bytes``) and the
    per-member checks (``max_member_bytes``, ``max_compression_ratio``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total = 0

    def declared(self, info: zipfile.ZipInfo, name: str) -> None:
        """Check a zip member before reading it: readable, and its declared sizes."""
        if info.flag_bits & 0x1:
            raise InterchangeError(f"member {name!r} is encrypted; uppks-qual cannot read "
                                   "password-protected archives: export the project again "
                                   "without a password", path=self.path, element=name,
                                   guid=None)
        if info.compress_type not in _ZIP_METHODS:
            raise InterchangeError(f"member {name!r} uses zip compression method "
                                   f"{info.compress_type}, which uppks-qual cannot read "
                                   "(stored, deflate, bzip2 and lzma only): export the project "
                                   "again with ordinary zip compression", path=self.path,
                                   element=name, guid=None)
        self.check(info, name, info.file_size, declared=True)

    def check(self, info: zipfile.ZipInfo, name: str, size: int, *, declared: bool,
              counted: int = 0) -> None:
        """Check ``size`` inflated bytes of a member (``counted`` of them already in
        :attr:`total`) against the limits."""
        limits.check_inflated(name, size, info.compress_size, self.total + size - counted,
                              path=self.path, declared=declared, error=InterchangeLimitError,
                              element=name, guid=None)

    def inner_zip(self, data: bytes, name: str) -> str | None:
        """Check the members of a zip held in memory (a ``.docx``) like archive members,
        before a library inflates them; returns why it is unreadable, or None."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                infos = inner.infolist()
        except _ZIP_ERRORS as exc:
            return f"not a zip package ({exc})"
        for info in infos:
            part = f"{name}:{_member_name(info.filename)}"
            self.declared(info, part)
            self.total += info.file_size
        return None


class _Archive:
    """A ``.qdpx`` opened for reading: members by name, read under the limits, never
    extracted."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, budget: _Budget) -> None:
        self.path, self.zf, self.budget = path, zf, budget
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.folded: dict[str, zipfile.ZipInfo | None] = {}  # None: two names differ in case
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = _member_name(info.filename)
            if name in self.members:
                raise InterchangeError(f"the archive holds two members named {name!r}; a "
                                       "damaged or tampered archive (each member must appear "
                                       "once): export the project again", path=path,
                                       element=name, guid=None)
            self.members[name] = info
            key = name.casefold()
            self.folded[key] = None if key in self.folded else info

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The member called ``name`` (else the only one whose name differs in case)."""
        return self.members.get(name) or self.folded.get(name.casefold())

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The inflated bytes of a member, 1 MiB at a time, checked as they come."""
        name = _member_name(info.filename)
        self.budget.declared(info, name)
        try:
            handle = self.zf.open(info)
        except _ZIP_ERRORS as exc:
            raise self._damaged(name, exc) from None
        size = 0
        for chunk in _read_chunks(handle, _ZIP_ERRORS, lambda exc: self._damaged(name, exc)):
            size += len(chunk)
            self.budget.check(info, name, size, declared=False, counted=size - len(chunk))
            self.budget.total += len(chunk)
            yield chunk

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The whole inflated member (within the limits)."""
        return b"".join(self.chunks(info))

    def _damaged(self, name: str, exc: BaseException) -> InterchangeError:
        return InterchangeError(f"member {name!r} cannot be read ({exc}); the archive is "
                                "damaged or was written by a tool uppks-qual cannot read: "
                                "export the project again", path=self.path, element=name,
                                guid=None)


def _read_chunks(handle: Any, errors: tuple[type[BaseException], ...],
                 failure: Callable[[BaseException], Exception]) -> Iterator[bytes]:
    """The bytes of an open ``handle``, :data:`_CHUNK` at a time, then closed; a read error
    among ``errors`` becomes ``failure(error)``."""
    with handle:
        while True:
            try:
                chunk = handle.read(_CHUNK)
            except errors as exc:
                raise failure(exc) from None
            if not chunk:
                return
            yield chunk


def _file_chunks(path: Path, *, what: str) -> Iterator[bytes]:
    """The bytes of a file on disk, 1 MiB at a time, within ``max_file_bytes``."""
    def unreadable(exc: BaseException) -> InterchangeError:
        reason = getattr(exc, "strerror", None) or exc
        return InterchangeError(f"{what} cannot be read ({reason})", path=path, element=None,
                                guid=None)

    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by _read_chunks; a generator)
    except OSError as exc:
        raise unreadable(exc) from None
    size = 0
    for chunk in _read_chunks(handle, (OSError,), unreadable):
        size += len(chunk)
        _limit("max_file_bytes", size, path, f"size of {what}", None)
        yield chunk


def _read_file(path: Path, *, what: str) -> bytes:
    try:
        declared = path.stat().st_size
    except OSError:
        declared = 0
    _limit("max_file_bytes", declared, path, f"size of {what}", None)
    return b"".join(_file_chunks(path, what=what))


def read_member(path: str | Path, name: str) -> bytes:
    """The inflated bytes of the member ``name`` of the archive ``path``, within the limits.

    Raises
    ------
    InterchangeError
        Not a readable zip, no such member, or a damaged, encrypted or oversized member
        (:class:`~uppks_qual.errors.InterchangeLimitError`).
    """
    path = Path(path)
    with _open_zip(path) as zf:
        archive = _Archive(path, zf, _Budget(path))
        info = archive.members.get(name)
        if info is None:
            raise InterchangeError(f"the archive has no {name}", path=path, element=None,
                                   guid=None)
        return archive.read(info)


def read_file(path: str | Path) -> bytes:
    """The bytes of a REFI-QDA file on disk (``.qde``, ``.qdc``), within ``max_file_bytes``."""
    path = Path(path)
    return _read_file(path, what=path.name)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise InterchangeError(f"not a readable zip archive ({exc}); a .qdpx is a zip holding "
                               "project.qde and sources/: is it damaged or only partly "
                               "downloaded?", path=path, element=None, guid=None) from None


def _is_zip(path: Path) -> bool:
    """Whether ``path`` is (or starts like) a zip archive."""
    try:
        with open(path, "rb") as handle:
            if handle.read(2) == b"PK":
                return True
        return zipfile.is_zipfile(path)
    except OSError as exc:
        raise InterchangeError(f"cannot be read ({exc.strerror or exc})", path=path,
                               element=None, guid=None) from None


# --------------------------------------------------------------------------- files
class _Refused(Exception):
    """A file reference outside the sandbox (becomes an InterchangeError naming the source)."""


class _Files:
    """The files a project refers to: members of the ``.qdpx`` archive, or files in the
    folder of a ``.qde``; anything else only with ``allow_external``.

    ``internal://x`` is ``sources/x`` (or ``x``) in the archive or next to a ``.qde``;
    ``relative://x`` and plain relative paths are looked up in the archive, else relative to
    the project's ``basePath`` and the folder of the project file; ``file://`` and
    ``absolute://`` URLs and absolute paths name files on disk. See the module docstring
    for what is refused.
    """

    def __init__(self, path: Path, archive: _Archive | None, base_path: str | None, *,
                 budget: _Budget, allow_external: bool = False) -> None:
        self.archive = archive
        self.budget = budget
        self.allow_external = allow_external
        self.root = path.absolute().parent.resolve()
        self.folders = [self.root]
        if base_path and base_path.strip() and "\x00" not in base_path:
            base = Path(base_path.strip().replace("\\", "/"))
            self.folders.insert(0, base if base.is_absolute() else self.root / base)

    def read(self, ref: str) -> bytes | None:
        """Bytes of the file ``ref`` points to, or None when it cannot be found.

        Raises :class:`_Refused` (why) for a reference outside the sandbox.
        """
        if "\x00" in ref:
            raise _Refused("holds a NUL character, which no file name has")
        scheme, name = _split_ref(ref)
        if scheme == "url":
            raise _Refused("is a URL; uppks-qual never fetches files over the network: embed "
                           "the text or add the file to the archive")
        names = list(dict.fromkeys([name, urllib.parse.unquote(name)]))
        if not self.allow_external:
            if any(".." in PurePosixPath(n).parts for n in names):
                raise _Refused(f"climbs out of the project's folder with '..'; {EXTERNAL_HINT}")
            if scheme == "absolute" and self.archive is not None:
                raise _Refused(f"is a file outside the archive; {EXTERNAL_HINT}")
        if scheme != "absolute" and self.archive is not None:
            first = [f"sources/{n}" for n in names] + names
            if scheme != "internal":
                first = names + [f"sources/{n}" for n in names]
            for candidate in first:
                if (info := self.archive.find(candidate)) is not None:
                    return self.archive.read(info)
            if scheme == "internal":
                return None
            if not self.allow_external:
                raise _Refused(f"is not a member of the archive; {EXTERNAL_HINT}")
        return self._disk(scheme, names)

    def _disk(self, scheme: str, names: list[str]) -> bytes | None:
        if scheme == "absolute":
            candidates = [Path(n) for n in names]
        else:
            inner = [f"sources/{n}" for n in names] if scheme == "internal" else []
            candidates = [folder / n for n in (*names, *inner) for folder in self.folders]
        outside = None
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
                inside = resolved.is_relative_to(self.root)
                if not inside and not self.allow_external:
                    outside = outside or resolved
                    continue
                if not resolved.is_file():
                    continue
            except (OSError, ValueError, RuntimeError):  # unreadable name, a symlink loop
                continue
            data = _read_file(resolved, what=f"the file {resolved}")
            self.budget.total += len(data)
            _limit("max_archive_bytes", self.budget.total, self.budget.path,
                   "size of the files read so far", None)
            return data
        if outside is not None:
            raise _Refused(f"leads to {outside}, outside the folder of the project file "
                           f"({self.root}); {EXTERNAL_HINT}")
        return None


def _split_ref(ref: str) -> tuple[str, str]:
    """``(scheme, path)`` of a REFI path: internal, relative, absolute or url (any other
    ``scheme://``)."""
    ref = ref.strip().replace("\\", "/")
    lower = ref.lower()
    for scheme in ("internal", "relative", "absolute"):
        if lower.startswith(f"{scheme}://"):
            rest = ref[len(scheme) + 3:]
            return scheme, (rest if scheme == "absolute" else rest.lstrip("/"))
    if lower.startswith("file:"):
        return "absolute", urllib.parse.unquote(urllib.parse.urlparse(ref).path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", ref):
        return "url", ref
    if PurePosixPath(ref).is_absolute() or re.match(r"^[A-Za-z]:/", ref):
        return "absolute", ref
    return "relative", ref


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)

