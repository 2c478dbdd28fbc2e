"""The errors module: one base class, data kept as attributes, every error picklable."""

from __future__ import annotations

import inspect
import pickle

import pytest

from uppks_qual import errors
from uppks_qual.errors import LimitError, ParameterError, QualError

CLASSES = sorted((c for _, c in inspect.getmembers(errors, inspect.isclass)
                  if issubclass(c, QualError)), key=lambda c: c.__name__)
#: Keyword arguments some classes require.
REQUIRED = {"LimitError": {"limit": "max_depth"}, "InterchangeLimitError": {"limit": "max_depth"}}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_survives_pickling(cls: type[QualError]) -> None:
    """A worker process sends its error back pickled: it must come back as itself, with its
    message, place and data (a class whose ``__init__`` requires keywords used to fail)."""
    error = cls("what went wrong; what to do", path="data/x.txt", line=3, doc_id="doc1",
                **REQUIRED.get(cls.__name__, {}))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls
    assert str(again) == str(error) == "data/x.txt:3: what went wrong; what to do"
    assert (again.path, again.line, again.doc_id) == ("data/x.txt", 3, "doc1")
    assert again.args == error.args


def test_limit_error_keeps_its_limit_through_pickling() -> None:
    error = LimitError("too deep", limit="max_depth", value=120, maximum=100, path="c.yaml")
    again = pickle.loads(pickle.dumps(error))
    assert (again.limit, again.value, again.maximum) == ("max_depth", 120, 100)
    assert isinstance(again, ValueError)


def test_parameter_error_is_a_value_and_type_error() -> None:
    error = ParameterError("bad", parameter="by", function="f", value="x")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ValueError) and isinstance(again, TypeError)
    assert (again.parameter, again.function, again.value) == ("by", "f", "x")
