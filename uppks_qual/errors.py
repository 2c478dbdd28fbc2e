"""Every exception uppks-qual raises for a problem the user can cause.

One base class, :class:`QualError`; each subclass also inherits the matching built-in
(``ValueError``, ``KeyError``, ...) so ordinary ``except`` clauses keep working. Errors carry
their data as attributes (``path``, ``line``, ``offset``, ``code_id`` ...) so a notebook can
inspect them, and their message reads like a compiler's: ``codebook.yaml:14: unknown parent
code 'trust' for code 'leader_support.ninik_mamak'; define 'trust' or fix the parent``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "AgreementError",
    "CodebookError",
    "CoderError",
    "CorpusError",
    "EncodingProblem",
    "FrontMatterError",
    "ImportProblem",
    "InterchangeError",
    "InterchangeLimitError",
    "LimitError",
    "MergeError",
    "OutputError",
    "ParameterError",
    "PatternError",
    "QualError",
    "SchemaVersionError",
    "SpanError",
    "SpeakerError",
    "StoreBusyError",
    "StoreConnectionError",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "UnknownCodeError",
    "UnknownDocumentError",
    "location",
    "warn",
]

_PACKAGE = os.path.dirname(__file__) + os.sep  # as code objects' co_filename spell it


def location(path: str | Path | None, line: int | None = None, offset: int | None = None) -> str:
    """Format ``path:line`` or ``path@offset`` for the start of a message."""
    if path is None:
        return ""
    where = str(path)
    if line is not None:
        where += f":{line}"
    elif offset is not None:
        where += f" (byte {offset})"
    return where + ": "


class QualError(Exception):
    """Base class of every uppks-qual error.

    Parameters
    ----------
    message : str
        What went wrong and what to do.
    path, line, offset : optional
        Where: the file, its 1-based line, or a 0-based byte/character offset.
    **data
        Further attributes (``code_id``, ``doc_id`` ...) kept on the exception.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        offset: int | None = None,
        **data: Any,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.offset = offset
        for key, value in data.items():
            setattr(self, key, value)
        self.message = location(path, line, offset) + message
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by class and attributes, whatever the subclass's ``__init__`` asks for (an
        error raised in a worker process travels back to the caller as itself)."""
        return (_rebuilt, (type(self), dict(self.__dict__)))


def _rebuilt(cls: type[QualError], state: dict[str, Any]) -> QualError:
    """A :class:`QualError` of class ``cls`` with the attributes ``state`` (its unpickling)."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class ParameterError(QualError, ValueError, TypeError):
    """A function was called with a parameter outside what it accepts.

    Raised by :func:`uppks_qual.params.check_param` (and ``@validate_params``) with a message
    in scikit-learn's words: "The 'by' parameter of code_frequencies must be one of
    {'group', 'village'}. Got 'x' instead." The parameter's name, the function and the value
    are kept as ``parameter``, ``function`` and ``value``. Like scikit-learn's
    ``InvalidParameterError`` it is both a ``ValueError`` and a ``TypeError``.
    """


class CorpusError(QualError, ValueError):
    """A corpus file or folder cannot be loaded."""


class EncodingProblem(CorpusError, UnicodeError):
    """A file is not valid UTF-8."""


class FrontMatterError(CorpusError):
    """A document's YAML front matter is missing, malformed or has a bad field."""


class SpeakerError(CorpusError):
    """An interview turn starts with a speaker label the document does not declare."""


class CodebookError(QualError, ValueError):
    """The codebook YAML is malformed or its code tree is inconsistent."""


class PatternError(CodebookError):
    """A cue pattern in the codebook cannot be compiled."""


class UnknownCodeError(QualError, KeyError):
    """A code id is not in the codebook or project."""


class UnknownDocumentError(QualError, KeyError):
    """A document id is not in the corpus or project."""


class SpanError(QualError, ValueError):
    """A coding span is empty, out of range, or its quote cannot be found unambiguously."""


class StoreError(QualError, RuntimeError):
    """The project store refused an operation (nothing was changed)."""


class SchemaVersionError(StoreError):
    """The project file is not a project, or was written by a newer uppks-qual."""


class StoreCorruptError(StoreError):
    """The project file is damaged (not a database, or its pages fail SQLite's checks)."""


class StoreBusyError(StoreError):
    """Another process held the project's write lock for longer than the retries waited."""


class StoreReadOnlyError(StoreError):
    """The project file, or its folder, cannot be written (permissions, read-only medium)."""


class StoreFullError(StoreError):
    """The disk (or quota) is full; the write was rolled back."""


class StoreConnectionError(StoreError):
    """A project on a database server cannot be reached: the server is down or unreachable,
    the database does not exist, or the user name or password is refused."""


class CoderError(QualError, ValueError):
    """A coder name is empty, badly spelled, or registered as the other kind (human/auto)."""


class LimitError(QualError, ValueError):
    """An input exceeds a safety limit (size, nesting depth, element or alias count).

    The limits (:class:`uppks_qual.limits.Limits`) sit far above real projects; the message
    names the file, the limit and how to raise it (``uppks_qual.limits.override(...)``) when
    the input is trusted.
    """

    def __init__(self, message: str, *, limit: str, value: int | float | None = None,
                 maximum: int | float | None = None, **kwargs: Any) -> None:
        super().__init__(message, limit=limit, value=value, maximum=maximum, **kwargs)


class ImportProblem(QualError, ValueError):
    """Rows of an imported file are invalid (all bad rows are listed; nothing was imported)."""


class InterchangeError(QualError, ValueError):
    """A REFI-QDA (or other interchange) file is malformed; nothing was imported."""


class InterchangeLimitError(InterchangeError, LimitError):
    """A REFI-QDA file exceeds a safety limit (zip bomb, absurd nesting or size): both an
    :class:`InterchangeError` and a :class:`LimitError`; nothing was imported."""


class MergeError(QualError, ValueError):
    """Two projects cannot be merged: documents with the same id and another text, a coder of
    another kind in each, or conflicts under ``strategy="strict"``. ``documents`` lists the
    differing documents (``doc_id``, ``offset`` of the first differing character, snippets);
    ``conflicts`` the :class:`~uppks_qual.store.merge.Conflict` records. Nothing was written."""


class OutputError(QualError, OSError):
    """An output file or folder cannot be written (it exists as the wrong kind, permissions,
    a read-only medium); nothing was written."""


class WorkerError(QualError, RuntimeError):
    """Worker processes (``n_process=``, Dask's local processes) could not start or died: a
    script that starts them must guard its main code with ``if __name__ == "__main__":``, and
    a worker killed for memory takes its block with it. Nothing was written."""


class AgreementError(QualError, ValueError):
    """Inputs to an agreement statistic are inconsistent (shapes, coders, levels)."""


class RefiWarning(UserWarning):
    """Part of a REFI-QDA file was skipped (audio/video/PDF sources, sets, graphs, unknown
    elements); the rest was imported."""


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, pointing at the first caller outside uppks-qual (the user's own line).

    The one way the package warns: public functions sit behind ``@validate_params`` and
    helpers, so a fixed ``stacklevel`` would point inside the package (Python 3.11 has no
    ``skip_file_prefixes``).
    """
    level, frame = 2, sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
