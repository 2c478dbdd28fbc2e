"""Spread per-document work over processes, results in input order.

Automatic coding is per document: the rule coder (:func:`code_documents`) and the learned
coder's prediction (:func:`predict_by_document`) cut the work into blocks of documents, run
the blocks in worker processes and put the results back in the input order, so the output is
identical to one process. Only the calling process touches a project's database.

How workers start (:func:`start_method`): on Linux, in a program with a single thread (a
script, the command line), they are *forked* from the calling process and inherit its
pipeline and compiled matchers, so they start in milliseconds; elsewhere, and in a notebook
or any program running other threads (where forking is unsafe), they are *spawned*: each
imports spaCy and builds its own pipeline (one to two seconds), so more processes pay off
from a few hundred documents on. With ``n_process=1`` nothing is started.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ParameterError, WorkerError

if TYPE_CHECKING:
    import pandas as pd

    from .learn import CodeSuggester
    from .records import Codebook, Segment

__all__ = ["code_documents", "map_ordered", "predict_by_document", "resolve_processes",
           "start_method"]

T = TypeVar("T")
R = TypeVar("R")

#: What each worker process holds (set by the pool's initializer).
_WORKER: dict[str, Any] = {}


def resolve_processes(n_process: object, *, func: str) -> int:
    """The number of processes ``n_process`` asks for: a positive int, or -1 for every core.

    >>> resolve_processes(2, func="f")
    2
    """
    if isinstance(n_process, bool) or not isinstance(n_process, int) or (
            n_process < 1 and n_process != -1):
        raise ParameterError(f"The 'n_process' parameter of {func} must be a positive int or -1 "
                             f"(every core); got {n_process!r}", parameter="n_process",
                             function=func, value=n_process)
    return (os.cpu_count() or 1) if n_process == -1 else n_process


def start_method() -> str:
    """``"fork"`` on Linux when this process runs a single thread (not counting tqdm's
    monitor, which only sleeps and reads progress bars), else ``"spawn"``."""
    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and type(t).__name__ != "TMonitor"]
    return "fork" if sys.platform.startswith("linux") and not others else "spawn"


def _blocks(n: int, parts: int) -> list[range]:
    """``range(n)`` cut into at most ``parts`` contiguous blocks of near-equal size."""
    parts = max(1, min(parts, n))
    edges = [round(i * n / parts) for i in range(parts + 1)]
    return [range(a, b) for a, b in itertools.pairwise(edges) if b > a]


def map_ordered(func: Callable[[T], R], items: Sequence[T], *, n_process: int = 1,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                progress: bool = False, desc: str = "", unit: str = "doc",
                sizes: Sequence[int] | None = None,
                method: str | None = None) -> Iterator[R]:
    """``map(func, items)`` over ``n_process`` worker processes, yielding in input order.

    ``func`` and ``initializer`` must be importable module-level functions. With
    ``n_process=1`` (or a single item) everything runs here, after ``initializer``.
    ``method``: ``"fork"`` or ``"spawn"`` (default :func:`start_method`). The
    progress bar counts ``sizes`` (default 1 per item). Interrupting (Ctrl-C), or an error in
    a worker, cancels the work not yet started and stops the workers; the error is raised
    here.
    """
    from tqdm.auto import tqdm

    pool = None
    if n_process > 1 and len(items) > 1:  # before the progress bar starts its thread
        context = multiprocessing.get_context(method or start_method())
        pool = ProcessPoolExecutor(max_workers=min(n_process, len(items)), mp_context=context,
                                   initializer=initializer, initargs=initargs)
    bar = tqdm(total=sum(sizes) if sizes is not None else len(items), desc=desc, unit=unit,
               disable=not progress)
    with bar:
        if pool is None:
            if initializer is not None:
                initializer(*initargs)
            for i, item in enumerate(items):
                yield func(item)
                bar.update(sizes[i] if sizes is not None else 1)
            return
        futures: list[Future[R]] = []
        try:
            futures = [pool.submit(func, item) for item in items]
            for i, future in enumerate(futures):
                yield future.result()
                bar.update(sizes[i] if sizes is not None else 1)
        except BrokenProcessPool:
            raise worker_error() from None
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


def worker_error() -> WorkerError:
    """What to do when worker processes could not start or died."""
    return WorkerError(
        "worker processes could not start or died: in a script, put the code that starts "
        "them under `if __name__ == \"__main__\":` (Python starts workers by re-importing the "
        "script); a worker killed for lack of memory needs fewer processes or smaller "
        "blocks; or use n_process=1. Nothing was written")


# --------------------------------------------------------------------------- rule coder
def _init_rules(codebook: Codebook, unit: str, skip_speakers: tuple[str, ...]) -> None:
    _WORKER.clear()
    _WORKER.update(codebook=codebook, unit=unit, skip=skip_speakers)


def _code_block(block: Sequence[tuple[str, str, Sequence[Segment]]]) -> list[dict[str, Any]]:
    from .autocode import autocode_segments

    cb, unit, skip = _WORKER["codebook"], _WORKER["unit"], _WORKER["skip"]
    return [{**row, "doc_id": doc_id}
            for doc_id, text, units in block
            for row in autocode_segments(text, units, cb, unit=unit, skip_speakers=skip)]


def code_documents(documents: Sequence[tuple[str, str, Sequence[Segment]]], codebook: Codebook,
                   *, unit: str = "sentence", skip_speakers: Collection[str] = ("P",),
                   n_process: int = 1, progress: bool = False,
                   blocks_per_process: int = 4) -> list[dict[str, Any]]:
    """Rule-code ``documents`` (``(doc_id, text, units)`` triples) over ``n_process``
    processes: the rows of :func:`uppks_qual.autocode.autocode_segments` with ``doc_id``, in
    document order, identical to one process.

    Each process gets about ``blocks_per_process`` blocks of consecutive documents (balanced
    by text length), so a slow document holds up little.
    """
    docs = list(documents)
    if n_process <= 1:
        blocks = [[d] for d in docs]
    else:
        blocks = _length_blocks(docs, n_process * blocks_per_process)
    sizes = [len(block) for block in blocks]
    out: list[dict[str, Any]] = []
    for rows in map_ordered(_code_block, blocks, n_process=n_process, initializer=_init_rules,
                            initargs=(codebook, unit, tuple(skip_speakers)),
                            progress=progress, desc="auto-coding", sizes=sizes):
        out.extend(rows)
    return out


def _length_blocks(docs: list[tuple[str, str, Sequence[Segment]]], parts: int
                   ) -> list[list[tuple[str, str, Sequence[Segment]]]]:
    """Consecutive documents cut into about ``parts`` blocks of similar text length."""
    total = sum(len(text) for _, text, _ in docs) or 1
    step = total / max(1, parts)
    blocks: list[list[tuple[str, str, Sequence[Segment]]]] = [[]]
    done = 0
    for doc in docs:
        if blocks[-1] and done >= step * len(blocks):
            blocks.append([])
        blocks[-1].append(doc)
        done += len(doc[1])
    return blocks


# --------------------------------------------------------------------------- learned coder
def _init_model(data: bytes) -> None:
    from .learn import CodeSuggester

    _WORKER.clear()
    _WORKER["model"] = CodeSuggester.from_bytes(data)


def _predict_block(table: pd.DataFrame) -> pd.DataFrame:
    return _WORKER["model"].predict(table)


def predict_by_document(model: CodeSuggester, table: pd.DataFrame, *, n_process: int = 1,
                        progress: bool = False) -> pd.DataFrame:
    """``model.predict(table)`` with the documents of ``table`` spread over ``n_process``
    processes; identical to one process (``row`` points into ``table``).

    ``table`` is a sentence table (:func:`uppks_qual.learn.sentence_table`): each row carries
    its own context (previous and next sentence, question), so blocks of whole documents
    are coded independently.
    """
    import numpy as np
    import pandas as pd

    if n_process <= 1 or len(table) < 2:
        return model.predict(table)
    docs = table["doc_id"].astype(str).to_numpy()
    # cut only where the document changes, into about 4 blocks per process
    changes = np.flatnonzero(docs[1:] != docs[:-1]) + 1
    starts = [0, *changes.tolist()]
    picks = sorted({starts[b.start] for b in _blocks(len(starts), n_process * 4)})
    edges = [*picks, len(table)]
    parts = [table.iloc[a:b] for a, b in itertools.pairwise(edges)]
    results = list(map_ordered(_predict_block, parts, n_process=n_process,
                               initializer=_init_model, initargs=(model.to_bytes(),),
                               progress=progress, desc="predicting", unit="block"))
    for offset, result in zip(edges, results, strict=False):
        result["row"] = result["row"].to_numpy() + offset
    return pd.concat(results, ignore_index=True)
