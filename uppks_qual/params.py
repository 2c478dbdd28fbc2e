"""One way to check parameters, in the manner of scikit-learn's ``validate_params``.

Declare what a public function accepts once, next to its signature::

    @validate_params({"level": [Options("factor", "code")], "min_count": [Interval(int, 0, None)]})
    def compare_groups(df, a, b, *, level="factor", min_count=5): ...

and every call with a value outside it raises :class:`~uppks_qual.errors.ParameterError`
with one message format: "The 'level' parameter of compare_groups must be one of {'factor',
'code'}. Got 'x' instead." Checks that depend on the data (a group that must be a value of
a column) call :func:`check_param` with the allowed values computed at run time.

Constraints
-----------
:class:`Options`
    One of a fixed set of values (strings, ``None``, booleans ...).
:class:`Interval`
    An ``int`` or a real number within bounds (booleans are not numbers here).
:class:`InstanceOf`
    An instance of one of some types (``InstanceOf(str, Path)``).
:class:`NonEmptyText`
    A string that is not empty or only white space.
``None``
    The value ``None``.
"""

from __future__ import annotations

import abc
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from .errors import ParameterError

__all__ = ["Constraint", "InstanceOf", "Interval", "NonEmptyText", "Options", "check_param",
           "options", "validate_params"]

P = ParamSpec("P")
R = TypeVar("R")


class Constraint(abc.ABC):
    """A set of accepted values, with a description for the error message."""

    @abc.abstractmethod
    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is accepted."""

    @abc.abstractmethod
    def __str__(self) -> str:
        """What is accepted, as the message says it ("one of {'a', 'b'}")."""


class Options(Constraint):
    """One of ``options`` (compared with ``==``, never across types: ``True`` is not ``1``).

    ``what`` replaces the words "one of" in the message, e.g. ``"a value of the 'group'
    column, one of"``.

    Examples
    --------
    >>> str(Options("factor", "code"))
    "one of {'factor', 'code'}"
    """

    def __init__(self, *options: Any, what: str = "one of") -> None:
        self.options = tuple(options)
        self.what = what

    def is_satisfied_by(self, value: Any) -> bool:
        for option in self.options:
            if value is option:
                return True
            if option is None or value is None or isinstance(option, bool) \
                    or isinstance(value, bool) or isinstance(option, str) != isinstance(value, str):
                continue
            try:
                if bool(value == option):
                    return True
            except (TypeError, ValueError):  # e.g. an array compared with a string
                continue
        return False

    def __str__(self) -> str:
        return f"{self.what} {{{', '.join(repr(o) for o in self.options)}}}"


class Interval(Constraint):
    """A number of ``kind`` (``int`` or ``float``: any real) in ``[left, right]``.

    ``None`` for a bound means unbounded; ``closed`` is ``"both"``, ``"left"``, ``"right"`` or
    ``"neither"``.

    Examples
    --------
    >>> str(Interval(int, 0, None))
    'an int in the range [0, inf)'
    >>> Interval(float, 0, 1, closed="neither").is_satisfied_by(1.0)
    False
    """

    def __init__(self, kind: type, left: float | None, right: float | None, *,
                 closed: str = "both") -> None:
        if kind not in (int, float):
            raise ParameterError(f"Interval kind must be int or float; got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ParameterError(f"Interval closed must be 'both', 'left', 'right' or "
                                 f"'neither'; got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        wanted = numbers.Integral if self.kind is int else numbers.Real
        if isinstance(value, bool) or not isinstance(value, wanted):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        number = float(value)
        low_ok = self.left is None or (
            number >= self.left if self.closed in ("both", "left") else number > self.left)
        high_ok = self.right is None or (
            number <= self.right if self.closed in ("both", "right") else number < self.right)
        return bool(low_ok and high_ok)

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else "a float"
        left = "-inf" if self.left is None else f"{self.left:g}"
        right = "inf" if self.right is None else f"{self.right:g}"
        opening = "[" if self.closed in ("both", "left") and self.left is not None else "("
        closing = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        return f"{noun} in the range {opening}{left}, {right}{closing}"


class InstanceOf(Constraint):
    """An instance of one of ``types`` (described by ``what``, default the type names)."""

    def __init__(self, *types: type, what: str | None = None) -> None:
        self.types = types
        self.what = what

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        if self.what:
            return self.what
        names = " or ".join(repr(t.__name__) for t in self.types)
        return f"an instance of {names}"


class NonEmptyText(Constraint):
    """A string with at least one character that is not white space."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value.strip())

    def __str__(self) -> str:
        return "a non-empty string"


class _NoneConstraint(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


def _make(constraint: Any) -> Constraint:
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, Constraint):
        return constraint
    if isinstance(constraint, type):
        return InstanceOf(constraint)
    raise ParameterError(f"unknown parameter constraint {constraint!r}")


def _describe(constraints: Sequence[Constraint]) -> str:
    parts = [str(c) for c in constraints]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def check_param(value: Any, constraints: Any, *, name: str, func: str) -> None:
    """Raise :class:`ParameterError` unless ``value`` satisfies one of ``constraints``.

    ``constraints`` is one constraint or a list of them (see the module docstring).

    Examples
    --------
    >>> check_param("code", [Options("factor", "code")], name="level", func="f")
    >>> check_param("word", [Options("factor", "code")], name="level", func="f")
    Traceback (most recent call last):
    ...
    uppks_qual.errors.ParameterError: The 'level' parameter of f must be one of {'factor', 'code'}. Got 'word' instead.
    """
    items = list(constraints) if isinstance(constraints, list | tuple) else [constraints]
    made = [_make(c) for c in items]
    if any(c.is_satisfied_by(value) for c in made):
        return
    shown = repr(value)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    raise ParameterError(
        f"The {name!r} parameter of {func} must be {_describe(made)}. Got {shown} instead.",
        parameter=name, function=func, value=value)


def validate_params(constraints: Mapping[str, Any], *,
                    name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: check the named parameters of every call against ``constraints``.

    Only parameters passed by the caller are checked (defaults are the author's, assumed
    valid). ``name`` is the function's name in messages (default its ``__qualname__``).

    Examples
    --------
    >>> @validate_params({"level": [Options("factor", "code")]})
    ... def count(df, *, level="factor"):
    ...     return level
    >>> count(None, level="code")
    'code'
    """
    made = {key: [_make(c) for c in (v if isinstance(v, list | tuple) else [v])]
            for key, v in constraints.items()}

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        unknown = set(made) - set(signature.parameters)
        if unknown:
            raise ParameterError(f"validate_params on {func.__qualname__}: no parameter(s) "
                                 f"{', '.join(sorted(unknown))}")
        shown = name or func.__qualname__

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:  # a wrong call: let Python say so
                return func(*args, **kwargs)
            for key, cons in made.items():
                if key in bound.arguments:
                    check_param(bound.arguments[key], cons, name=key, func=shown)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def options(values: Iterable[Any], *, what: str = "one of") -> Options:
    """:class:`Options` from an iterable (e.g. a tuple constant such as ``VALENCES``)."""
    return Options(*values, what=what)
