"""Tests for :func:`uppks_qual.analysis.evidence`, the one evidence path (pure function).

Hand-built frames whose answer is worked out in the comments, and hypothesis properties of the
precedence rule: a coding survives exactly when no coder earlier in the list coded or read an
overlapping passage.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uppks_qual.analysis import default_coders, evidence
from uppks_qual.errors import ParameterError
from uppks_qual.schema import codings_frame


def frame(*rows: tuple[str, int, int, str, str]) -> pd.DataFrame:
    """Codings ``(doc_id, start, end, code_id, coder)``; coder "auto*" codes automatically."""
    return codings_frame([
        {"doc_id": d, "group": "A", "start": s, "end": e, "code_id": c, "coder": who,
         "origin": "auto" if who.startswith("auto") else "manual"}
        for d, s, e, c, who in rows])


def spans(df: pd.DataFrame) -> list[tuple[str, int, int, str, str]]:
    return [(r.doc_id, r.start, r.end, r.code_id, r.coder) for r in df.itertuples()]


def test_a_human_replaces_the_automatic_coder_where_they_coded() -> None:
    df = frame(("d", 0, 10, "leadership", "ana"), ("d", 5, 15, "leadership", "auto"),
               ("d", 10, 20, "capital", "auto"), ("e", 0, 10, "capital", "auto"))
    # [5, 15) overlaps ana's [0, 10): dropped; [10, 20) only touches it (half-open): kept
    assert spans(evidence(df, coders=["ana", "auto"])) == [
        ("d", 0, 10, "leadership", "ana"), ("d", 10, 20, "capital", "auto"),
        ("e", 0, 10, "capital", "auto")]


def test_a_passage_read_and_left_uncoded_replaces_the_automatic_coder() -> None:
    df = frame(("d", 0, 10, "leadership", "auto"), ("d", 20, 30, "capital", "auto"))
    read = pd.DataFrame({"doc_id": ["d"], "start": [25], "end": [40], "coder": ["ana"]})
    assert spans(evidence(df, coders=["ana", "auto"], read=read)) == [
        ("d", 0, 10, "leadership", "auto")]
    # reading by a coder who is not among the evidence coders changes nothing
    assert len(evidence(df, coders=["auto"], read=read)) == 2


def test_two_humans_on_one_passage_count_once_in_the_order_given() -> None:
    df = frame(("d", 0, 10, "leadership", "ana"), ("d", 0, 10, "leadership", "budi"),
               ("d", 30, 40, "capital", "budi"))
    assert spans(evidence(df, coders=["ana", "budi"])) == [
        ("d", 0, 10, "leadership", "ana"), ("d", 30, 40, "capital", "budi")]
    assert spans(evidence(df, coders=["budi", "ana"])) == [
        ("d", 0, 10, "leadership", "budi"), ("d", 30, 40, "capital", "budi")]


def test_coders_not_listed_are_left_out_and_the_default_order() -> None:
    df = frame(("d", 0, 10, "leadership", "auto"), ("d", 0, 10, "leadership", "budi"),
               ("d", 50, 60, "capital", "ana"), ("d", 70, 80, "capital", "auto2"))
    assert default_coders(df) == ["ana", "budi", "auto", "auto2"]
    assert spans(evidence(df)) == [("d", 0, 10, "leadership", "budi"),
                                   ("d", 50, 60, "capital", "ana"),
                                   ("d", 70, 80, "capital", "auto2")]
    assert spans(evidence(df, coders=["auto2"])) == [("d", 70, 80, "capital", "auto2")]
    assert evidence(df, coders=[]).empty


def test_factors_keep_their_order_and_columns_keep_their_dtypes() -> None:
    df = frame(("d", 0, 10, "leadership", "ana"), ("d", 20, 30, "capital", "ana"))
    out = evidence(df, factors=["leadership"])
    assert spans(out) == [("d", 0, 10, "leadership", "ana")]
    assert list(out["factor"].cat.categories) == ["leadership"]
    assert [str(t) for t in out.dtypes] == [str(t) for t in df.dtypes]


def test_bad_inputs_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="evidence"):
        evidence(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match=r"'read' parameter of evidence"):
        evidence(frame(("d", 0, 1, "a", "ana")), read=[("d", 0, 1, "ana")])  # type: ignore[arg-type]


CODERS = ("ana", "budi", "auto")


@st.composite
def codings_and_reading(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        start = draw(st.integers(0, 60))
        rows.append((draw(st.sampled_from(["d", "e"])), start,
                     start + draw(st.integers(1, 15)), draw(st.sampled_from(["a", "b"])),
                     draw(st.sampled_from(CODERS))))
    read = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, 60))
        read.append((draw(st.sampled_from(["d", "e"])), start, start + draw(st.integers(1, 15)),
                     draw(st.sampled_from(CODERS[:2]))))
    order = draw(st.permutations(list(CODERS)))
    reading = pd.DataFrame(read, columns=["doc_id", "start", "end", "coder"])
    return frame(*dict.fromkeys(rows)), reading, list(order)  # a coding is stored once


def _claimed(df: pd.DataFrame, read: pd.DataFrame, coders: list[str]) -> list[tuple]:
    return [(r.doc_id, r.start, r.end) for t in (df, read) for r in t.itertuples()
            if r.coder in coders]


@settings(max_examples=150, deadline=None)
@given(codings_and_reading())
def test_a_coding_survives_exactly_when_no_earlier_coder_claimed_its_passage(case) -> None:
    df, read, order = case
    out = evidence(df, coders=order, read=read)
    kept = set(spans(out))
    assert len(kept) == len(out)
    for row in spans(df):
        doc, start, end, _, coder = row
        earlier = _claimed(df, read, order[: order.index(coder)])
        overlapped = any(d == doc and s < end and start < e for d, s, e in earlier)
        assert (row in kept) == (not overlapped), row
