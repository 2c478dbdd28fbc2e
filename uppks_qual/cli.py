"""The ``uppks-qual`` command line: the notebook jobs, from a shell.

Every command has ``--help``. A user's mistake (bad file, unknown code ...) prints a clear
message and exits with status 1, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import QualError

app = typer.Typer(
    help="uppks-qual: code Indonesian interviews and notes against a codebook and compare groups.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_CORPUS = Path("data/interviews")
DEFAULT_CODEBOOK = Path("codebook.yaml")
F = TypeVar("F", bound=Callable[..., Any])

CorpusOpt = Annotated[Path, typer.Option("--corpus", help="Corpus folder or file.")]
CodebookOpt = Annotated[Path, typer.Option("--codebook", help="Codebook YAML (or REFI .qdc).")]


@app.callback()
def _root() -> None:
    """uppks-qual: code Indonesian interviews and notes against a codebook and compare groups.

    The bundled corpus is an illustrative reconstruction, not the study's field data.
    """


def friendly(func: F) -> F:
    """Turn a :class:`QualError` into a message on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QualError as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; the project keeps its last committed state", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def echo_table(frame: Any, *, title: str | None = None) -> None:
    """Print a DataFrame as a plain text table."""
    if title:
        typer.secho(title, bold=True)
    typer.echo(frame.to_string())


@app.command()
@friendly
def check(
    path: Annotated[Path, typer.Argument(help="Corpus folder or file.")] = DEFAULT_CORPUS,
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
) -> None:
    """Validate a corpus and a codebook; print a summary, or every problem found."""
    from .codebook import check_codebook
    from .corpus import check_corpus

    corpus, problems = check_corpus(path)
    cb, cb_problems = check_codebook(codebook)
    problems += cb_problems
    if problems:
        for problem in problems:
            typer.secho(f"error: {problem}", err=True, fg=typer.colors.RED)
        typer.secho(f"{len(problems)} problem(s) found", err=True, bold=True)
        raise typer.Exit(1)
    assert corpus is not None and cb is not None
    echo_table(corpus.summary(), title=f"Corpus {path}: {len(corpus)} documents")
    n_factors = len(cb.factors())
    typer.echo(f"\nCodebook {codebook}: {len(cb)} codes ({n_factors} factors), all cues compiled.")
    typer.echo("Note: the bundled corpus is an illustrative reconstruction, not field data.")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="uppks-qual")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
