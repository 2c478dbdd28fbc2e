"""The counting functions at scale: the optimised pandas path against straightforward
computations, the Dask path against pandas, and the resampling of large groups.

* :func:`code_frequencies`, :func:`valence_balance`, :func:`case_matrix` and the case counts
  of :func:`compare_groups` on random small frames (missing groups, empty informants and
  cases, an unused factor, document attributes) equal a plain loop over the cells;
* a ``dask.dataframe`` of the same codings (categorical columns kept, or as plain strings as
  Parquet gives them) gives the pandas result, on the bundled evidence (an illustrative
  reconstruction, not field data) and on random frames;
* :func:`bootstrap_interval` and :func:`permutation_p` keep their draws for small groups and
  sample the same distribution for large ones.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

import uppks_qual as uq
from uppks_qual.analysis import case_matrix, code_frequencies, compare_groups, valence_balance
from uppks_qual.analysis._cases import (
    DRAWS,
    _comb_at_most,
    bootstrap_interval,
    permutation_p,
)
from uppks_qual.errors import ParameterError
from uppks_qual.schema import codings_frame

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=25, deadline=None)
FEW = settings(max_examples=15, deadline=None)
CODES = {"f1": "f1", "f1.a": "f1", "f2": "f2", "f2.b": "f2", "f3.c": "f3"}
FACTORS = ["f2", "f1", "f3", "f4"]  # not sorted, and f4 is never coded


@pytest.fixture(autouse=True)
def _synchronous() -> Any:
    with dask.config.set(scheduler="synchronous"):
        yield


# --------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------

row = st.fixed_dictionaries({
    "doc_id": st.sampled_from(["d0", "d1", "d2", "d3"]),
    "informant": st.sampled_from(["", "Ani", "Budi", "Citra"]),
    "code_id": st.sampled_from(sorted(CODES)),
    "valence": st.sampled_from(["positive", "negative", "neutral"]),
    "start": st.integers(0, 3),
    "length": st.integers(1, 3),
    "coder": st.sampled_from(["c1", "c2"]),
})
GROUP_OF = {"d0": "A", "d1": "B", "d2": "A", "d3": ""}  # d3 is in no group
TYPE_OF = {"d0": "interview", "d1": "interview", "d2": "observation", "d3": "document"}


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A codings frame of ``rows``: groups, source types and districts by document, a varying
    ``wave`` column, informant roles by informant."""
    return codings_frame([
        {"doc_id": r["doc_id"], "group": GROUP_OF[r["doc_id"]], "informant": r["informant"],
         "informant_role": {"Ani": "chair", "Budi": "member"}.get(r["informant"], ""),
         "source_type": TYPE_OF[r["doc_id"]], "code_id": r["code_id"],
         "factor": CODES[r["code_id"]], "valence": r["valence"], "start": r["start"],
         "end": r["start"] + r["length"], "coder": r["coder"],
         "district": "east" if r["doc_id"] in ("d0", "d1") else "west",
         "wave": r["start"] % 2}
        for r in rows], factors=FACTORS)


frames = st.lists(row, min_size=1, max_size=40).map(frame_of)


def said(*lines: tuple[str, str, str]) -> pd.DataFrame:
    """A frame of ``(doc_id, informant, code_id)`` lines, each a positive coding."""
    return frame_of([{"doc_id": d, "informant": who, "code_id": code, "valence": "positive",
                      "start": i, "length": 1, "coder": "c1"}
                     for i, (d, who, code) in enumerate(lines)])


# Ani speaks in two documents of one district; an interview without an informant; a note;
# a document in no group; the same span coded twice
EDGES = said(("d0", "Ani", "f1"), ("d1", "Ani", "f1.a"), ("d0", "", "f2"), ("d2", "Budi", "f2.b"),
             ("d3", "Citra", "f3.c"), ("d0", "Ani", "f1"))


def as_strings(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its categorical columns as strings, as a Parquet reader returns them."""
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    return df.astype({c: "str" for c in cats})


def lazy(df: pd.DataFrame, npartitions: int = 3) -> Any:
    return dd.from_pandas(df, npartitions=npartitions, sort=False)


def quiet(func: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# --------------------------------------------------------------------------------------
# Straightforward references (a loop over cells and cases)
# --------------------------------------------------------------------------------------


def values_of(column: pd.Series) -> list[Any]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    return sorted(column.dropna().unique())


def keys_of(df: pd.DataFrame, level: str) -> list[str]:
    factors = list(df["factor"].cat.categories)
    if level == "factor":
        return factors
    first: dict[Any, Any] = {}
    for code, factor in zip(df["code_id"], df["factor"], strict=True):
        first.setdefault(code, factor)
    return sorted(first, key=lambda c: (factors.index(first[c]), c))


def reference_frequencies(df: pd.DataFrame, by: str, level: str) -> list[tuple[Any, ...]]:
    key = "factor" if level == "factor" else "code_id"
    out = []
    for b in values_of(df[by]):
        for k in keys_of(df, level):
            rows = df[(df[by].astype(object) == b) & (df[key].astype(object) == k)]
            out.append((b, k, len(rows), len(set(zip(rows["doc_id"], rows["start"],
                                                       rows["end"], strict=True))),
                        rows["doc_id"].nunique(), len(set(rows["informant"]) - {""})))
    return out


def reference_valences(df: pd.DataFrame, by: str, level: str) -> list[tuple[Any, ...]]:
    key = "factor" if level == "factor" else "code_id"
    out = []
    for b in values_of(df[by]):
        for k in keys_of(df, level):
            rows = df[(df[by].astype(object) == b) & (df[key].astype(object) == k)]
            v = rows["valence"].astype(object)
            out.append((b, k, int((v == "positive").sum()), int((v == "negative").sum()),
                        int((v == "neutral").sum())))
    return out


def reference_cases(df: pd.DataFrame, case: str, by: str, level: str) -> list[tuple[Any, ...]]:
    """(case, by, key, positive, negative, neutral, doc_ids joined) per case x key."""
    column = "case" if case == "informant" else case
    key = "factor" if level == "factor" else "code_id"
    ok = df[by].notna() & df[column].notna() & (df[column].astype(object) != "")
    work = df[ok]
    pairs = sorted({(str(b), str(c), c, b) for c, b in zip(work[column].astype(object),
                                                            work[by].astype(object),
                                                            strict=True)})
    out = []
    for _, _, c, b in pairs:
        mine = work[(work[column].astype(object) == c) & (work[by].astype(object) == b)]
        docs = ", ".join(sorted(set(mine["doc_id"])))
        for k in keys_of(df, level):
            v = mine.loc[mine[key].astype(object) == k, "valence"].astype(object)
            out.append((c, b, k, int((v == "positive").sum()), int((v == "negative").sum()),
                        int((v == "neutral").sum()), docs))
    return out


# --------------------------------------------------------------------------------------
# The pandas path against the references
# --------------------------------------------------------------------------------------


@FAST
@given(frames, st.sampled_from(["group", "informant", "district", "wave"]),
       st.sampled_from(["factor", "code"]))
@example(EDGES, "district", "code")
def test_code_frequencies_equal_a_loop_over_cells(df: pd.DataFrame, by: str,
                                                  level: str) -> None:
    got = code_frequencies(df, by=by, level=level)
    name = "factor" if level == "factor" else "code"
    rows = list(zip(got[by].astype(object), got[name].astype(object), got["codings"],
                    got["segments"], got["documents"], got["informants"], strict=True))
    assert rows == reference_frequencies(df, by, level)
    assert got[["codings", "segments", "documents", "informants"]].dtypes.eq("int64").all()


@FAST
@given(frames, st.sampled_from(["group", "source_type", "coder"]),
       st.sampled_from(["factor", "code"]))
def test_valence_balance_equals_a_loop_over_cells(df: pd.DataFrame, by: str,
                                                  level: str) -> None:
    got = quiet(valence_balance, df, by=by, level=level)
    name = "factor" if level == "factor" else "code"
    rows = list(zip(got[by].astype(object), got[name].astype(object), got["positive"],
                    got["negative"], got["neutral"], strict=True))
    assert rows == reference_valences(df, by, level)


@FAST
@given(frames, st.sampled_from([("informant", "group"), ("doc_id", "group"),
                                ("informant", "district")]),
       st.sampled_from(["factor", "code"]))
@example(EDGES, ("informant", "district"), "factor")
@example(EDGES, ("informant", "group"), "code")
def test_case_matrix_equals_a_loop_over_cases(df: pd.DataFrame, case_by: tuple[str, str],
                                              level: str) -> None:
    case, by = case_by
    got = case_matrix(df, case=case, by=by, level=level)
    name = "factor" if level == "factor" else "code"
    expected = reference_cases(df, case, by, level)
    docs = got["doc_id"] if "doc_id" in got else pd.Series([e[-1] for e in expected])
    rows = list(zip(got["case"], got[by], got[name], got["positive"], got["negative"],
                    got["neutral"], docs, strict=True))
    assert rows == expected
    valenced = got["positive"] + got["negative"]
    assert np.allclose(got["balance"], (got["positive"] - got["negative"]) / valenced,
                       equal_nan=True)
    column = "case" if case == "informant" else case
    ok = df[by].notna() & df[column].notna() & (df[column].astype(object) != "")
    constant = df[ok].groupby([column, by], observed=True)["district"].nunique().le(1).all()
    if by != "district":  # an attribute only when it takes one value per case
        assert ("district" in got) == bool(constant)
    if "wave" in got:  # only when no case has codings of two waves
        assert df[ok].groupby([column, by], observed=True)["wave"].nunique().le(1).all()


@FAST
@given(frames)
def test_compare_groups_counts_are_the_case_table(df: pd.DataFrame) -> None:
    if not {"A", "B"} <= set(df["group"].dropna()):
        return
    result = quiet(compare_groups, df, "A", "B", n_resamples=50, min_count=0)
    table = case_matrix(df)
    for _, r in result.iterrows():
        for side, group in (("a", "A"), ("b", "B")):
            mine = table[(table["group"] == group) & (table["factor"] == r["factor"])]
            balances = mine["balance"].dropna()
            assert r[f"cases_{side}"] == len(mine)
            assert r[f"mentioning_{side}"] == int(mine["present"].sum())
            assert r[f"valenced_{side}"] == len(balances)
            if len(balances):
                assert r[f"balance_{side}"] == pytest.approx(balances.mean())


# --------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The evidence of the bundled (illustrative) corpus, rule-coded in a new project, so the
    test never depends on a built ``results/`` folder."""
    from conftest_project import real_codebook, real_corpus

    path = tmp_path_factory.mktemp("bundled") / "p.uqp"
    with uq.Project.create(path, corpus=real_corpus(), codebook=real_codebook()) as project:
        project.autocode()
        return project.evidence()


COUNTING = [
    ("code_frequencies", {}),
    ("code_frequencies", {"level": "code"}),
    ("code_frequencies", {"by": "village", "level": "code"}),
    ("code_frequencies", {"by": "informant"}),
    ("valence_balance", {}),
    ("valence_balance", {"by": "source_type", "level": "code"}),
    ("case_matrix", {}),
    ("case_matrix", {"level": "code"}),
    ("case_matrix", {"case": "doc_id", "by": "village"}),
]


@pytest.mark.parametrize(("name", "options"), COUNTING)
def test_dask_equals_pandas_on_the_bundled_evidence(bundled: pd.DataFrame, name: str,
                                                    options: dict[str, Any]) -> None:
    func = getattr(uq.analysis, name)
    expected = quiet(func, bundled, **options)
    pd.testing.assert_frame_equal(quiet(func, lazy(bundled), **options), expected,
                                  check_exact=True)
    # Strings, as read from Parquet: the pandas result on the computed frame made a codings
    # frame (factors in order of first appearance), the same rows as on the evidence
    strings = lazy(as_strings(bundled))
    got = quiet(func, strings, **options)
    pd.testing.assert_frame_equal(got, quiet(func, codings_frame(strings.compute()), **options),
                                  check_exact=True)
    keys = [c for c in got.columns[:3] if c in ("group", "village", "informant", "source_type",
                                                 "factor", "code", "case")]
    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({k: str for k in keys})
        return frame.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(ordered(got), ordered(expected), check_exact=True)


def test_dask_with_documents_gives_the_rates(bundled: pd.DataFrame) -> None:
    from conftest_project import real_corpus

    documents = real_corpus().documents
    expected = code_frequencies(bundled, documents=documents)
    got = code_frequencies(lazy(bundled), documents=documents)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    without = documents.drop(columns=[c for c in ("group",) if c in documents.columns])
    pd.testing.assert_frame_equal(code_frequencies(lazy(bundled), documents=without),
                                  code_frequencies(bundled, documents=without),
                                  check_exact=True)


@FEW
@given(frames, st.integers(1, 4), st.sampled_from(COUNTING))
def test_dask_equals_pandas_on_random_frames(df: pd.DataFrame, npartitions: int,
                                             call: tuple[str, dict[str, Any]]) -> None:
    name, options = call
    options = {k: ("district" if v == "village" else v) for k, v in options.items()}
    func = getattr(uq.analysis, name)
    expected = quiet(func, df, **options)
    got = quiet(func, lazy(df, min(npartitions, len(df))), **options)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    strings = as_strings(df)
    got = quiet(func, lazy(strings, min(npartitions, len(df))), **options)
    pd.testing.assert_frame_equal(got, quiet(func, codings_frame(strings), **options),
                                  check_exact=True)


def test_dask_frame_problems_are_parameter_errors(bundled: pd.DataFrame) -> None:
    frame = lazy(bundled)
    with pytest.raises(ParameterError, match=r"missing column.*informant"):
        code_frequencies(frame.drop(columns=["informant"]))
    with pytest.raises(ParameterError, match="'segments' parameter of code_frequencies"):
        code_frequencies(frame, segments=pd.DataFrame({"doc_id": []}))
    with pytest.raises(ParameterError, match="'by' parameter"):
        case_matrix(frame, by="text")
    odd = as_strings(bundled)
    odd.loc[0, "valence"] = "mixed"
    with pytest.raises(ParameterError, match=r"valence values \['mixed'\]"):
        valence_balance(lazy(odd))


def test_importing_the_package_does_not_import_dask() -> None:
    code = ("import sys, uppks_qual as uq\n"
            "from uppks_qual.schema import codings_frame\n"
            "df = codings_frame([{'doc_id': 'd', 'group': 'A', 'start': 0, 'end': 1,"
            " 'code_id': 'x'}])\n"
            "uq.code_frequencies(df); uq.case_matrix(df)\n"
            "assert 'dask' not in sys.modules, 'dask imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --------------------------------------------------------------------------------------
# Resampling large groups
# --------------------------------------------------------------------------------------


def test_small_groups_keep_their_draws() -> None:
    """Below DRAWS the draws are those of the index method (results of earlier versions)."""
    a, b = np.arange(12.0) % 5, np.arange(9.0) % 4
    rng, legacy = np.random.default_rng(7), np.random.default_rng(7)
    ia = legacy.integers(0, len(a), size=(999, len(a)))
    ib = legacy.integers(0, len(b), size=(999, len(b)))
    diffs = a[ia].mean(axis=1) - b[ib].mean(axis=1)
    expected = tuple(float(q) for q in np.quantile(diffs, [0.025, 0.975]))
    assert bootstrap_interval(a, b, rng=rng, n_resamples=999) == expected
    pooled = np.concatenate([a, b])
    perms = legacy.permuted(np.tile(np.arange(21), (999, 1)), axis=1)[:, :12]
    sums = pooled[perms].sum(axis=1)
    observed = abs(a.mean() - b.mean())
    hits = np.sum(np.abs(sums / 12 - (pooled.sum() - sums) / 9) >= observed - 1e-12 * observed)
    assert permutation_p(a, b, rng=rng, n_resamples=999) == ((1 + hits) / 1000, False)


def balances(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    """Case balances (p - q) / (p + q) of small counts: few distinct values."""
    p, q = rng.poisson(2 + shift, n), rng.poisson(2, n)
    keep = p + q > 0
    return (p[keep] - q[keep]) / (p[keep] + q[keep])


@pytest.mark.parametrize("kind", ["few values", "many values"])
def test_large_bootstrap_matches_scipy(kind: str) -> None:
    rng = np.random.default_rng(1)
    if kind == "few values":
        a, b = balances(rng, 4000, 0.3), balances(rng, 3000, 0.0)
    else:
        a, b = rng.normal(0.1, 1, 4000), rng.normal(0, 1, 3000)
    assert 2000 * (len(a) + len(b)) > DRAWS
    low, high = bootstrap_interval(a, b, rng=np.random.default_rng(2), n_resamples=2000)
    ref = stats.bootstrap((a, b), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                          method="percentile", n_resamples=2000, vectorized=True,
                          random_state=np.random.default_rng(3)).confidence_interval
    spread = ref.high - ref.low
    assert abs(low - ref.low) < 0.05 * spread
    assert abs(high - ref.high) < 0.05 * spread


@pytest.mark.parametrize("kind", ["few values", "many values"])
def test_large_permutation_p_matches_the_normal_approximation(kind: str) -> None:
    rng = np.random.default_rng(8)  # a seed whose difference is not extreme (p about 0.2-0.5)
    if kind == "few values":
        a, b = balances(rng, 3000, 0.0), balances(rng, 3000, 0.0)
    else:
        a, b = rng.normal(0, 1, 3000), rng.normal(0, 1, 3000)
    assert 2000 * (len(a) + len(b)) > DRAWS
    p, exact = permutation_p(a, b, rng=np.random.default_rng(5), n_resamples=2000)
    pooled = np.concatenate([a, b])
    se = pooled.std() * math.sqrt(1 / len(a) + 1 / len(b))
    expected = 2 * stats.norm.sf(abs(a.mean() - b.mean()) / se)
    assert not exact
    assert 0.1 < expected < 0.9  # a p-value the draws can estimate
    assert abs(p - expected) < 0.03  # Monte-Carlo error about 0.01 with 2000 draws


@given(st.integers(1, 60), st.integers(0, 60), st.integers(1, 10**6))
def test_comb_at_most_is_math_comb(n: int, k: int, limit: int) -> None:
    k = min(k, n)
    assert _comb_at_most(n, k, limit) == (math.comb(n, k) <= limit)
