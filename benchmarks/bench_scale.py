"""Benchmark: the analysis functions on millions of codings, next to bare pandas and Dask.

Builds a seeded synthetic codings frame (:func:`synthetic_codings`: the columns and dtypes of
``Project.evidence()``, made-up documents, cases and groups "A" and "B", the factors and
sub-codes of ``codebook.yaml``) and measures, side by side in one run:

* :func:`analysis_rows`: ``code_frequencies``, ``case_matrix`` and ``compare_groups`` against
  the bare pandas ``groupby`` that computes the same counts (each baseline is printed with the
  table: see :data:`BASELINES`);
* :func:`dask_rows`: ``code_frequencies`` and ``case_matrix`` on a Dask frame read lazily from
  Parquet partitions, on a two-worker ``distributed.LocalCluster``, against pandas on the
  in-memory frame, with the peak resident memory of each worker.

The numbers are synthetic: they say how the code scales, nothing about the study. Timings
are medians of ``--repeat`` runs. Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py --codings 1000000
    .venv/bin/python benchmarks/bench_scale.py --codings 10000000 --no-dask
    .venv/bin/python benchmarks/bench_scale.py --sections autocode --words 10000000

Each section is a function returning table rows (dicts); :func:`main` runs the sections named
by ``--sections`` (see :data:`SECTIONS`) and returns ``{section: rows}``, so a new section is
one function and one entry of :data:`SECTIONS`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import pickle
import random
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import uppks_qual as uq
from uppks_qual.records import ORIGINS, PASSAGE_KINDS, SOURCE_TYPES, VALENCES
from uppks_qual.schema import CODING_DTYPES

SEED = 1997
CODEBOOK = "codebook.yaml"
EVIDENCE = "results/uppks.uqp"
ROLES = ("member", "chair", "secretary", "treasurer", "field officer", "village head")

# --------------------------------------------------------------------------------------
# Synthetic codings
# --------------------------------------------------------------------------------------


def _codes(codebook_path: str = CODEBOOK) -> tuple[list[str], list[str], list[str], list[str]]:
    """Factor ids (codebook order), and code id, label and factor of every factor code."""
    codebook = uq.load_codebook(codebook_path)
    factors = [c.code_id for c in codebook.factors()]
    codes = [c for c in codebook if c.factor in factors]
    return (factors, [c.code_id for c in codes], [c.label_en for c in codes],
            [c.factor for c in codes])


def _strings(prefix: str, n: int) -> np.ndarray:
    """``prefix00001`` ... as an object array (one Python string per value, shared by rows)."""
    width = len(str(n))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def synthetic_codings(
    n: int,
    *,
    seed: int = SEED,
    n_docs: int = 20_000,
    n_cases: int = 50_000,
    groups: tuple[str, str] = ("A", "B"),
    codebook_path: str = CODEBOOK,
) -> pd.DataFrame:
    """A seeded codings frame of ``n`` rows shaped like ``Project.evidence()``.

    ``n_docs`` documents (80% interviews, 10% observations, 10% documents) in ``groups``
    (half each, 10 villages per group); ``n_cases`` informants spread over the interviews,
    plus one case per note document (its ``doc_id``, as :mod:`uppks_qual.passages` does).
    How much a case talks is log-normal (some cases have hundreds of codings, many a few);
    each coding picks a factor code of ``codebook.yaml`` (parents and sub-codes), a valence
    whose mix differs by group and factor (about 45% negative, 43% positive, 12% neutral
    overall), and a sentence-like span; a third of the spans carry two codes. 90% of the
    codings are automatic (``coder="auto"``, a confidence), 10% manual. The columns, their
    order and dtypes are those of ``evidence()`` (``CODING_DTYPES`` plus the extra
    ``codebook_version`` column).
    """
    rng = np.random.default_rng(seed)
    factors, code_ids, labels, code_factor = _codes(codebook_path)
    n_notes = max(n_docs // 5, 1)
    n_interviews = max(n_docs - n_notes, 1)
    n_docs = n_interviews + n_notes
    doc_group = rng.integers(0, len(groups), n_docs)
    doc_village = doc_group * 10 + rng.integers(0, 10, n_docs)
    doc_type = np.where(np.arange(n_docs) < n_interviews, 0,
                        np.where(np.arange(n_docs) < n_interviews + n_notes // 2, 1, 2))
    # cases: informants of interviews, then the note documents themselves
    home = np.concatenate([rng.integers(0, n_interviews, n_cases),
                           np.arange(n_interviews, n_docs)])
    weight = rng.lognormal(0.0, 1.0, len(home))
    case_of = rng.choice(len(home), size=n, p=weight / weight.sum())
    doc = home[case_of]
    # spans: a third of the codings share the span of the coding before (two codes)
    start = rng.integers(0, 60_000, n)
    shared = rng.random(n) < 1 / 3
    shared[0] = False
    start = np.where(shared, np.roll(start, 1), start)
    end = start + np.where(shared, np.roll(rng.integers(20, 400, n), 1),
                           rng.integers(20, 400, n))
    doc = np.where(shared, np.roll(doc, 1), doc)
    case_of = np.where(shared, np.roll(case_of, 1), case_of)
    code = rng.integers(0, len(code_ids), n)
    factor = np.array([factors.index(f) for f in code_factor])[code]
    group = doc_group[doc]
    p_pos = rng.uniform(0.25, 0.65, (len(groups), len(factors)))[group, factor]
    u = rng.random(n)
    valence = np.where(u < 0.12, 2, np.where(u < 0.12 + 0.88 * p_pos, 0, 1))
    auto = rng.random(n) < 0.9
    is_note = doc_type[doc] > 0
    informant_names = _strings("Informant ", n_cases)
    doc_ids = _strings("doc-", n_docs)
    researchers = np.array(["Researcher (R1)", "Researcher (R2)"], dtype=object)
    informant = np.where(is_note, researchers[doc % 2],
                         informant_names[np.minimum(case_of, n_cases - 1)])
    case = np.where(is_note, doc_ids[doc], informant)
    roles = np.array(ROLES, dtype=object)[np.arange(n_cases) % len(ROLES)]
    role = np.where(is_note, "researcher", roles[np.minimum(case_of, n_cases - 1)])
    villages = np.array([f"{g} village {v}" for g in groups for v in range(10)], dtype=object)
    texts = _strings("A synthetic passage, number ", 1000)
    columns = {
        "coding_id": np.arange(1, n + 1, dtype="int64"),
        "doc_id": doc_ids[doc],
        "group": pd.Categorical.from_codes(group, categories=list(groups)),
        "village": villages[doc_village[doc]],
        "source_type": pd.Categorical.from_codes(doc_type[doc], categories=list(SOURCE_TYPES)),
        "informant_role": role.astype(object),
        "informant": informant.astype(object),
        "case": case.astype(object),
        "speaker": np.where(is_note, np.array([None], dtype=object), informant),
        "kind": pd.Categorical.from_codes(np.where(is_note, 1, 0),
                                          categories=list(PASSAGE_KINDS)),
        "start": start.astype("int64"),
        "end": end.astype("int64"),
        "code_id": np.array(code_ids, dtype=object)[code],
        "code_label": np.array(labels, dtype=object)[code],
        "factor": pd.Categorical.from_codes(factor, categories=factors),
        "valence": pd.Categorical.from_codes(valence, categories=list(VALENCES)),
        "coder": np.where(auto, "auto", "coder1").astype(object),
        "origin": pd.Categorical.from_codes(np.where(auto, list(ORIGINS).index("auto"),
                                                     list(ORIGINS).index("manual")),
                                            categories=list(ORIGINS)),
        "confidence": np.where(auto, rng.uniform(0.3, 1.0, n).round(4), np.nan),
        "text": texts[rng.integers(0, len(texts), n)],
    }
    frame = pd.DataFrame({  # explicit object dtype: pandas 3 would infer "str"
        c: pd.Series(v, dtype=object) if CODING_DTYPES[c] == "object" else v
        for c, v in columns.items()})
    frame["codebook_version"] = pd.array(np.full(n, "1.2", dtype=object), dtype="str")
    return frame


def check_like_evidence(frame: pd.DataFrame, path: str = EVIDENCE) -> list[str]:
    """Differences of columns or dtypes between ``frame`` and ``evidence()`` of ``path``
    (empty when they agree; the expected list comes from ``CODING_DTYPES`` and the
    ``codebook_version`` column evidence() adds after them when there is no project file)."""
    if Path(path).exists():
        with uq.Project.open(path) as project:
            reference = project.evidence().dtypes.astype(str).to_dict()
    else:
        reference = {**CODING_DTYPES, "codebook_version": "str"}
    got = frame.dtypes.astype(str).to_dict()
    problems = [f"column order {list(got)} != {list(reference)}"] \
        if list(got) != list(reference) else []
    problems += [f"{c}: {got.get(c)} != {d}" for c, d in reference.items() if got.get(c) != d]
    return problems


# --------------------------------------------------------------------------------------
# Timing helpers
# --------------------------------------------------------------------------------------


def _time(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls of ``func`` and its last result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _quiet(func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()
    return run


def _peak_mib() -> float:
    """Peak resident memory of this process in MiB (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------
# Bare pandas baselines
# --------------------------------------------------------------------------------------


def bare_frequencies(df: pd.DataFrame) -> pd.DataFrame:
    """Per group x factor: codings, distinct spans, documents and (non-empty) informants."""
    keys = ["group", "factor"]
    g = df.groupby(keys, observed=False)
    out = g.agg(codings=("doc_id", "size"), documents=("doc_id", "nunique"))
    out["informants"] = df.assign(informant=df["informant"].replace("", None)).groupby(
        keys, observed=False)["informant"].nunique()
    spans = df[[*keys, "doc_id", "start", "end"]].drop_duplicates()
    out["segments"] = spans.groupby(keys, observed=False).size()
    return out


def bare_size(df: pd.DataFrame) -> pd.Series:
    """Codings per group x factor, nothing else."""
    return df.groupby(["group", "factor"], observed=True).size()


def bare_case_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Per case x group x factor: codings of each valence (the case matrix's counts)."""
    return (df.groupby(["case", "group", "factor", "valence"], observed=True).size()
            .unstack("valence", fill_value=0))


def bare_case_balances(df: pd.DataFrame) -> pd.DataFrame:
    """Per group x factor: cases, cases mentioning it and the mean case balance."""
    counts = bare_case_counts(df)
    pos, neg = counts["positive"], counts["negative"]
    valenced = (pos + neg).where(lambda s: s > 0)
    table = pd.DataFrame({"balance": (pos - neg) / valenced}).reset_index()
    return table.groupby(["group", "factor"], observed=True).agg(
        mentioning=("case", "size"), balance=("balance", "mean"))


def bare_case_resampling(df: pd.DataFrame, n_resamples: int = 9999,
                         seed: int = SEED) -> dict[str, tuple[float, ...]]:
    """What ``compare_groups`` computes for groups "A" and "B", written bare: the case counts
    and balances (:func:`bare_case_balances`' groupby), then per factor the same draws in plain
    numpy: a bootstrap of the share of cases mentioning it and of the mean case balance in each
    group (counts of each distinct value drawn, ``multinomial``) and a permutation of the
    balances (``multivariate_hypergeometric``), each reduced to its interval or p. No checks,
    no labels, no adjustment, no sentences: the floor of any implementation of the statistic."""
    counts = bare_case_counts(df)
    pos, neg = counts["positive"], counts["negative"]
    valenced = pos + neg
    balance = ((pos - neg) / valenced.where(valenced > 0)).dropna()
    cases = df.groupby("group", observed=True)["case"].nunique()
    mentioning = counts.groupby(["group", "factor"], observed=True).size()
    rng = np.random.default_rng(seed)

    def means(x: np.ndarray) -> np.ndarray:
        values, k = np.unique(x, return_counts=True)
        return rng.multinomial(len(x), k / len(x), size=n_resamples) @ values / len(x)

    out = {}
    for factor, part in balance.groupby(level="factor", observed=True):
        a = part.xs("A", level="group").to_numpy()
        b = part.xs("B", level="group").to_numpy()
        m_a, m_b = int(mentioning.get(("A", factor), 0)), int(mentioning.get(("B", factor), 0))
        share = (rng.multinomial(cases["A"], [m_a / cases["A"], 1 - m_a / cases["A"]],
                                 size=n_resamples)[:, 0] / cases["A"]
                 - rng.multinomial(cases["B"], [m_b / cases["B"], 1 - m_b / cases["B"]],
                                   size=n_resamples)[:, 0] / cases["B"])
        diffs = means(a) - means(b)
        values, k = np.unique(np.concatenate([a, b]), return_counts=True)
        sums = rng.multivariate_hypergeometric(k, len(a), size=n_resamples) @ values
        total, n = values @ k, len(a) + len(b)
        spread = np.abs(sums / len(a) - (total - sums) / (n - len(a)))
        p = (1 + np.sum(spread >= abs(a.mean() - b.mean()))) / (1 + n_resamples)
        out[str(factor)] = (*np.quantile(share, [0.025, 0.975]),
                            *np.quantile(diffs, [0.025, 0.975]), float(p))
    return out


BASELINES = {
    "code_frequencies": ("bare_frequencies: groupby(group, factor) size + nunique of doc_id, "
                         "non-empty informant and (doc_id, start, end) spans"),
    "code_frequencies (size only)": "bare_size: groupby(group, factor).size()",
    "case_matrix": ("bare_case_counts: groupby(case, group, factor, valence).size() "
                    "unstacked (no attributes, no zero rows)"),
    "compare_groups": ("bare_case_balances: the case counts, then per group x factor the "
                       "cases mentioning it and the mean case balance (no resampling)"),
    "compare_groups (n_resamples=99)": "bare_case_balances, as above (the resampling nearly "
                                       "left out: the case reduction and the rest)",
    "compare_groups (against bare resampling)": (
        "bare_case_resampling: bare_case_balances' groupby, then per factor the same 9,999 "
        "bootstrap draws of the share and the balance and permutation draws, in plain numpy"),
}
"""What each bare pandas baseline of :func:`analysis_rows` computes."""


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


def analysis_rows(n: int, *, repeat: int = 3, frame: pd.DataFrame | None = None,
                  n_resamples: int = 9999) -> list[dict[str, Any]]:
    """Each analysis function next to its bare pandas baseline, on ``n`` synthetic codings."""
    df = frame if frame is not None else synthetic_codings(n)
    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("code_frequencies", lambda: uq.code_frequencies(df), lambda: bare_frequencies(df)),
        ("code_frequencies (size only)", lambda: uq.code_frequencies(df),
         lambda: bare_size(df)),
        ("case_matrix", lambda: uq.case_matrix(df), lambda: bare_case_counts(df)),
        ("compare_groups", _quiet(lambda: uq.compare_groups(df, "A", "B",
                                                            n_resamples=n_resamples)),
         lambda: bare_case_balances(df)),
        ("compare_groups (n_resamples=99)", _quiet(lambda: uq.compare_groups(
            df, "A", "B", n_resamples=99)), lambda: bare_case_balances(df)),
        ("compare_groups (against bare resampling)", _quiet(lambda: uq.compare_groups(
            df, "A", "B", n_resamples=n_resamples)),
         lambda: bare_case_resampling(df, n_resamples)),
    ]
    rows = []
    for name, ours, bare in pairs:
        seconds, _ = _time(ours, repeat)
        bare_seconds, _ = _time(bare, repeat)
        rows.append({"function": name, "codings": len(df), "seconds": seconds,
                     "bare_seconds": bare_seconds, "ratio": seconds / bare_seconds,
                     "baseline": BASELINES[name]})
    return rows


def _as_strings(df: pd.DataFrame) -> pd.DataFrame:
    """The codings with categorical columns as plain strings (what Parquet readers give)."""
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    return df.astype({c: "str" for c in cats})


def _with_categories(lazy: Any, df: pd.DataFrame, columns: tuple[str, ...]) -> Any:
    """``lazy`` with ``columns`` cast (lazily) to the categories of ``df``: a reader that knows
    the codebook's factor order gives the pandas result exactly."""
    return lazy.astype({c: df[c].dtype for c in columns})


def _reset_peak() -> None:
    """Reset this process's peak resident memory (Linux ``clear_refs``; a forked worker
    otherwise reports its parent's peak)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _worker_peak() -> float:
    """Peak resident memory of this process since :func:`_reset_peak`, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dask_rows(n: int, *, repeat: int = 3, frame: pd.DataFrame | None = None,
              partitions: int | None = None) -> list[dict[str, Any]]:
    """``code_frequencies`` and ``case_matrix`` on ``dd.read_parquet`` of ``n`` synthetic
    codings (``partitions`` files, default one per 250,000 codings), on a 2-worker
    LocalCluster, next to pandas on the frame in memory."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    df = frame if frame is not None else synthetic_codings(n)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        strings = _as_strings(df)
        partitions = partitions or max(len(strings) // 250_000, 1)
        step = -(-len(strings) // partitions)
        for i in range(partitions):
            part = strings.iloc[i * step:(i + 1) * step]
            part.to_parquet(Path(tmp) / f"part.{i:03d}.parquet", index=False)
        del strings
        gc.collect()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            lazy = _with_categories(dd.read_parquet(tmp), df, ("group", "factor"))
            functions: list[tuple[str, Callable[[Any], pd.DataFrame]]] = [
                ("code_frequencies", uq.code_frequencies), ("case_matrix", uq.case_matrix)]
            for name, func in functions:
                client.run(_reset_peak)
                seconds, result = _time(partial(func, lazy), repeat)
                peaks = client.run(_worker_peak)
                pandas_seconds, expected = _time(partial(func, df), repeat)
                same = _same_values(result, expected)
                rows.append({"function": f"{name} (Dask, 2 workers)", "codings": len(df),
                             "seconds": seconds, "pandas_seconds": pandas_seconds,
                             "ratio": seconds / pandas_seconds, "same_result": same,
                             "worker_peak_mib": max(peaks.values())})
    return rows


# --------------------------------------------------------------------------------------
# Auto-coding words on Dask
# --------------------------------------------------------------------------------------


def synthetic_files(folder: Path, n_words: int, *, doc_words: int = 2000,
                    seed: int = 1997) -> tuple[int, int]:
    """Write a seeded corpus of at least ``n_words`` words into ``folder``: interview files
    re-sampled from the bundled interviews' turns, observation files from the notes'
    paragraphs (front matter with generic groups ``A``/``B``). Returns (files, words)."""
    corpus = uq.load_corpus("data/interviews")
    turns, paragraphs = [], []
    for doc in corpus:
        for s in corpus.iter_segments(doc.doc_id):
            if s.kind == "turn" and s.speaker in ("P", "I"):  # the default labels
                turns.append(f"{s.speaker}: {s.text}")
            elif s.kind == "paragraph":
                paragraphs.append(s.text)
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.yaml").write_text("groups:\n  A: Desa A\n  B: Desa B\n", encoding="utf-8")
    files = words = 0
    while words < n_words:
        interview = rng.random() < 0.7
        pool = turns if interview else paragraphs
        parts, n = [], 0
        while n < doc_words:
            unit = rng.choice(pool)
            parts.append(unit)
            n += len(unit.split())
        group = "AB"[files % 2]
        front = (f"---\nid: doc-{files:06d}\ngroup: {group}\nvillage: Desa {group}\n"
                 f"source_type: {'interview' if interview else 'observation'}\n"
                 f"informant_role: {'member' if interview else 'researcher'}\n"
                 f"informant: Informan {files}\ndate: 2004-03-11\n---\n")
        (folder / f"doc-{files:06d}.txt").write_text(front + "\n\n".join(parts) + "\n",
                                                     encoding="utf-8")
        files += 1
        words += n
    return files, words


def _warm() -> None:
    from uppks_qual.nlp import get_nlp

    get_nlp()


def autocode_rows(n_words: int, workdir: Path) -> list[dict[str, Any]]:
    """Auto-code ``n_words`` synthetic words through Dask on a 2-worker LocalCluster:
    words/s, peak memory per worker, and the same files coded in one process for the
    ratio (on a sample of the files when the corpus is large)."""
    from distributed import Client, LocalCluster

    folder = workdir / "corpus"
    n_files, words = synthetic_files(folder, n_words)
    codebook = uq.load_codebook("codebook.yaml")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(_warm)  # imports and the pipeline, before the clock starts
        client.run(_reset_peak)
        start = time.perf_counter()
        out = uq.autocode_corpus(folder, codebook, out=workdir / "codings.parquet",
                                 client=client, files_per_partition=64)
        seconds = time.perf_counter() - start
        peaks = client.run(_worker_peak)
        codings = len(pd.read_parquet(out, columns=["start"]))
    # the same coder in this one process, on every 10th file, for the ratio
    from uppks_qual.manifest import read_manifest
    from uppks_qual.scale import code_files

    sample = sorted(str(p) for p in folder.glob("doc-*.txt"))[::10]
    sample_words = sum(len(Path(f).read_text(encoding="utf-8").split()) for f in sample)
    data = pickle.dumps(codebook)
    manifest = read_manifest(folder / "corpus.yaml")
    start = time.perf_counter()
    code_files(sample, data, "bench", manifest, "sentence", None, "auto")
    one = sample_words / (time.perf_counter() - start)
    return [{"function": "autocode_corpus (Dask, 2 workers)", "files": n_files,
             "words": words, "seconds": seconds, "words_per_s": words / seconds,
             "one_process_words_per_s": one, "ratio": words / seconds / one,
             "codings": codings, "worker_peak_mib": max(peaks.values())}]


def _same_values(got: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """Whether the Dask result is exactly the pandas one."""
    try:
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    except AssertionError:
        return False
    return True


SECTIONS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "analysis": analysis_rows,
    "dask": dask_rows,
    "autocode": autocode_rows,
}
"""Section name -> function(n, repeat=..., frame=...) returning table rows (``autocode``:
function(words, folder), see :func:`main`)."""


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def markdown(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A markdown table of ``rows`` (floats to 3 decimals)."""
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


COLUMNS = {
    "autocode": ["function", "files", "words", "seconds", "words_per_s",
                 "one_process_words_per_s", "ratio", "codings", "worker_peak_mib"],
    "analysis": ["function", "codings", "seconds", "bare_seconds", "ratio"],
    "dask": ["function", "codings", "seconds", "pandas_seconds", "ratio", "same_result",
             "worker_peak_mib"],
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codings", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=list(SECTIONS))
    parser.add_argument("--no-dask", action="store_true", help="skip the dask section")
    parser.add_argument("--words", type=int, default=10_000_000,
                        help="words auto-coded through Dask (section autocode)")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections if not (args.no_dask and s in ("dask", "autocode"))]
    out: dict[str, Any] = {}
    frame = None
    if {"analysis", "dask"} & set(sections):
        t0 = time.perf_counter()
        frame = synthetic_codings(args.codings)
        print(f"synthetic codings: {len(frame):,} rows, {frame['doc_id'].nunique():,} "
              f"documents, {frame['case'].nunique():,} cases, built in "
              f"{time.perf_counter() - t0:.1f} s (synthetic data: timings only, nothing about "
              "the study)")
        problems = check_like_evidence(frame)
        if problems:
            print("WARNING: not shaped like evidence():", "; ".join(problems))
        out["codings"] = len(frame)
    for name in sections:
        if name == "autocode":
            with tempfile.TemporaryDirectory() as tmp:
                rows = autocode_rows(args.words, Path(tmp))
        else:
            rows = SECTIONS[name](args.codings, repeat=args.repeat, frame=frame)
        out[name] = rows
        print(f"\n## {name} (median of {args.repeat})\n")
        print(markdown(rows, COLUMNS.get(name, list(rows[0]) if rows else [])))
        if name == "analysis":
            print("\nBare baselines:")
            for row in rows:
                print(f"- {row['function']}: {row['baseline']}")
    out["peak_rss_mib"] = _peak_mib()
    print(f"\npeak resident memory of this process: {out['peak_rss_mib']:.0f} MiB")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
