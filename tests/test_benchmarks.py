"""The benchmarks run, and their baselines compute what they claim to.

No timing is asserted here (timed assertions are flaky on shared machines): the scripts in
``benchmarks/`` print ratios measured side by side in one run. These tests run them on tiny
inputs so they cannot rot, and check that each bare baseline computes the same result as the
function it is compared with: a ratio against a baseline that computes less would flatter us.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import uppks_qual as uq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_autocode  # noqa: E402
import bench_scale  # noqa: E402


@pytest.fixture(scope="module")
def codings() -> object:
    return bench_scale.synthetic_codings(60_000, n_docs=400, n_cases=1_500)


def test_bare_resampling_gives_compare_groups_intervals(codings: object,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``bare_case_resampling`` draws what ``compare_groups`` draws: per factor the share and
    balance intervals and the permutation p agree within Monte-Carlo error."""
    monkeypatch.chdir(ROOT)
    n = 4000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = uq.compare_groups(codings, "A", "B", n_resamples=n, seed=1).set_index("factor")
    bare = bench_scale.bare_case_resampling(codings, n_resamples=n, seed=2)
    assert sorted(bare) == sorted(str(f) for f in ours.index)
    for factor, (s_low, s_high, b_low, b_high, p) in bare.items():
        row = ours.loc[factor]
        width = row["ci_high"] - row["ci_low"]
        assert abs(b_low - row["ci_low"]) < 0.1 * width and \
            abs(b_high - row["ci_high"]) < 0.1 * width, factor
        share_width = row["share_ci_high"] - row["share_ci_low"]
        assert abs(s_low - row["share_ci_low"]) < 0.1 * share_width and \
            abs(s_high - row["share_ci_high"]) < 0.1 * share_width, factor
        assert (p < 0.01) == (row["p_value"] < 0.01), factor


def test_bare_baselines_count_what_the_functions_count(codings: object,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    freq = uq.code_frequencies(codings)
    bare = bench_scale.bare_frequencies(codings)
    for (group, factor), row in bare.iterrows():
        ours = freq[(freq["group"] == group) & (freq["factor"] == factor)]
        assert int(ours["codings"].iloc[0]) == int(row["codings"])
        assert int(ours["documents"].iloc[0]) == int(row["documents"])
    counts = bench_scale.bare_case_counts(codings)
    assert int(counts.to_numpy().sum()) == len(codings)


def test_the_analysis_section_runs(codings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rows = bench_scale.analysis_rows(len(codings), repeat=1, frame=codings, n_resamples=99)
    assert [r["function"] for r in rows] == list(bench_scale.BASELINES)
    assert all(r["seconds"] > 0 and r["bare_seconds"] > 0 for r in rows)


def test_the_autocode_benchmark_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row of the table, on a few thousand words; the floor row (tokenizer and phrase
    matchers) does part of what ``autocode_text`` does, on the same documents."""
    monkeypatch.chdir(ROOT)
    result = bench_autocode.main(["--words", "4000", "--no-naive"])
    for key in ("autocode", "matching", "tokenizer", "stock", "learned", "rules_1", "rules_2",
                "learned_2"):
        assert result[f"{key}_wps"] > 0
    assert result["codings"] > 0 and result["words"] >= 4000
    docs = bench_autocode.synthetic_corpus(4000)
    codebook = uq.load_codebook("codebook.yaml")
    assert bench_autocode.run_matching(docs, codebook) > 0
    assert bench_autocode.run_autocode(docs, codebook) == result["codings"]
    assert np.isfinite(result["a_over_c"])
