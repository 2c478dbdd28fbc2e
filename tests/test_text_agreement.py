"""Tests for :mod:`uppks_qual.text_agreement` (agreement between coders on coded text) and for
``Project.agreement`` / ``Project.disagreements`` built on it.

Every expected number is worked out by hand in a comment next to the frame it comes from; the
kappas and alphas are also checked against scikit-learn's ``cohen_kappa_score`` and the
``krippendorff`` package on the presence vectors written out in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from conftest_project import copy_project, plain_document, tiny_codebook
from sklearn.metrics import cohen_kappa_score

from uppks_qual.errors import AgreementError, ParameterError, QualError
from uppks_qual.project import Project
from uppks_qual.schema import codings_frame
from uppks_qual.text_agreement import (
    character_agreement_table,
    find_disagreements,
    segment_agreement,
)

CODERS = ("ana", "budi")


def coding(start: int, end: int, code_id: str, coder: str, *, doc_id: str = "d",
           valence: str = "neutral") -> dict[str, object]:
    return {"doc_id": doc_id, "group": "Asoka", "start": start, "end": end, "code_id": code_id,
            "coder": coder, "valence": valence}


def spans(doc_id: str, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [doc_id] * len(pairs), "start": [p[0] for p in pairs],
                         "end": [p[1] for p in pairs]})


def row(table: pd.DataFrame, code: str, doc_id: str | None = None) -> pd.Series:
    sel = table["code"] == code
    if doc_id is not None:
        sel &= table["doc_id"] == doc_id
    assert sel.sum() == 1, table
    return table[sel].iloc[0]


# --------------------------------------------------------------------------- segment unit
# Six passages of document "d", ten characters each: u0=[0,10) u1=[10,20) ... u5=[50,60).
UNITS = spans("d", [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, 60)])
# Ten-character sentences "kalimat00." ... "kalimat07.", so passage i reads f"kalimat{i:02d}.".
TEXT = "".join(f"kalimat{i:02d}." for i in range(8))

#             u0  u1  u2  u3  u4  u5
# leadership
#   ana        1   1   1   0   0   0   three codings, one per passage (u0 +, u1 -, u2 +)
#   budi       1   1   0   0   1   0   [5,15) overlaps u0 and u1 (valence -); [40,50) is u4
# capital_growth (factor level; budi's u3 coding is the sub-code capital_growth.loan_round)
#   ana        0   0   0   1   0   0
#   budi       0   0   0   1   0   1   [60,65) lies outside every passage: not counted
CODINGS = codings_frame([
    coding(0, 10, "leadership", "ana", valence="positive"),
    coding(10, 20, "leadership", "ana", valence="negative"),
    coding(20, 30, "leadership", "ana", valence="positive"),
    coding(30, 40, "capital_growth", "ana"),
    coding(5, 15, "leadership", "budi", valence="negative"),
    coding(40, 50, "leadership", "budi"),
    coding(30, 40, "capital_growth.loan_round", "budi"),
    coding(50, 60, "capital_growth", "budi"),
    coding(60, 65, "capital_growth", "budi"),
    coding(0, 60, "partnerships", "cici"),  # a third coder: ignored
])
PRESENCE = {
    "leadership": ([1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 1, 0]),
    "capital_growth": ([0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 0, 1]),
}


def test_segment_agreement_per_code_by_hand() -> None:
    table = segment_agreement(CODINGS, UNITS, CODERS)
    assert table["code"].tolist() == ["capital_growth", "leadership", "overall"]
    # leadership: agree on u0, u1, u3, u5 -> 4/6; both said yes 3/6 times, so
    # p_e = .5*.5 + .5*.5 = .5 and kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3.
    lead = row(table, "leadership")
    assert (lead["units"], lead["both"], lead["only_1"], lead["only_2"]) == (6, 2, 1, 1)
    assert lead["percent_agreement"] == pytest.approx(4 / 6)
    assert lead["kappa"] == pytest.approx(1 / 3)
    # capital_growth: agree on 5/6; ana yes 1/6, budi yes 2/6:
    # p_e = 1/6*2/6 + 5/6*4/6 = 22/36, kappa = (30/36 - 22/36) / (1 - 22/36) = 8/14.
    cap = row(table, "capital_growth")
    assert (cap["units"], cap["both"], cap["only_1"], cap["only_2"]) == (6, 1, 0, 1)
    assert cap["percent_agreement"] == pytest.approx(5 / 6)
    assert cap["kappa"] == pytest.approx(8 / 14)
    for code, (x, y) in PRESENCE.items():
        assert row(table, code)["kappa"] == pytest.approx(cohen_kappa_score(x, y))


def test_segment_agreement_overall_row_pools_decisions_and_has_alpha() -> None:
    table = segment_agreement(CODINGS, UNITS, CODERS)
    overall = row(table, "overall")
    # 12 (passage, factor) decisions, 9 agreements -> .75; ana yes 4/12, budi yes 5/12:
    # p_e = 4/12*5/12 + 8/12*7/12 = 76/144, kappa = (108 - 76) / (144 - 76) = 32/68.
    assert overall["units"] == 12
    assert overall["percent_agreement"] == pytest.approx(0.75)
    assert overall["kappa"] == pytest.approx(32 / 68)
    # Krippendorff (nominal), 24 values (9 ones, 15 zeros), 3 disagreeing units:
    # D_o = 6/24, D_e = 2*9*15 / (24*23), alpha = 1 - D_o/D_e = 1 - 0.25 / (270/552).
    x = PRESENCE["capital_growth"][0] + PRESENCE["leadership"][0]
    y = PRESENCE["capital_growth"][1] + PRESENCE["leadership"][1]
    assert overall["kappa"] == pytest.approx(cohen_kappa_score(x, y))
    expected_alpha = krippendorff.alpha(reliability_data=np.array([x, y]),
                                        level_of_measurement="nominal")
    assert overall["alpha"] == pytest.approx(1 - 0.25 / (270 / 552))
    assert overall["alpha"] == pytest.approx(expected_alpha)
    assert table.attrs["coders"] == CODERS
    assert table.attrs["unit"] == "segment"


def test_segment_agreement_code_level_splits_sub_codes() -> None:
    table = segment_agreement(CODINGS, UNITS, CODERS, level="code")
    # capital_growth: ana u3, budi u5 -> agree on 4/6; capital_growth.loan_round: budi u3 -> 5/6.
    assert table["code"].tolist() == ["capital_growth", "capital_growth.loan_round",
                                      "leadership", "overall"]
    assert row(table, "capital_growth")["percent_agreement"] == pytest.approx(4 / 6)
    assert row(table, "capital_growth.loan_round")["percent_agreement"] == pytest.approx(5 / 6)
    assert row(table, "overall")["units"] == 18


def test_segment_agreement_duplicate_units_count_once() -> None:
    doubled = pd.concat([UNITS, UNITS.iloc[:2]], ignore_index=True)
    pd.testing.assert_frame_equal(segment_agreement(CODINGS, doubled, CODERS),
                                  segment_agreement(CODINGS, UNITS, CODERS))


def test_segment_agreement_order_of_coders_swaps_only_columns() -> None:
    ab = segment_agreement(CODINGS, UNITS, CODERS)
    ba = segment_agreement(CODINGS, UNITS, CODERS[::-1])
    assert ab["only_1"].tolist() == ba["only_2"].tolist()
    np.testing.assert_allclose(ab["kappa"], ba["kappa"])
    assert ba.attrs["coders"] == ("budi", "ana")


# --------------------------------------------------------------------------- character unit
def test_character_agreement_reproduces_nvivo_example() -> None:
    # NVivo's documented example: a 1000-character source, 50 characters coded by both,
    # 150 by one coder only (ana [0,100) and budi [150,200)), 800 by neither -> 85%.
    df = codings_frame([coding(0, 150, "leadership", "ana"),
                        coding(100, 200, "leadership", "budi")])
    docs = pd.DataFrame({"doc_id": ["d"], "n_chars": [1000]})
    table = character_agreement_table(df, docs, CODERS)
    assert table["doc_id"].tolist() == ["d", "all", "all"]
    assert table["code"].tolist() == ["leadership", "leadership", "overall"]
    cell = row(table, "leadership", "d")
    assert (cell["both"], cell["only_1"], cell["only_2"], cell["neither"]) == (50, 100, 50, 800)
    assert cell["percent_agreement"] == pytest.approx(0.85)
    # p_e = .15 * .10 + .85 * .90 = .78, kappa = (.85 - .78) / (1 - .78) = 7/22.
    x = np.zeros(1000, int)
    y = np.zeros(1000, int)
    x[0:150], y[100:200] = 1, 1
    assert cell["kappa"] == pytest.approx(7 / 22)
    assert cell["kappa"] == pytest.approx(cohen_kappa_score(x, y))
    assert table.attrs["unit"] == "character"


def test_character_agreement_pools_documents_weighted_by_length() -> None:
    # "short" (100 chars): ana [0,50), budi [50,100): 0 agreeing characters -> 0%.
    # "long" (900 chars):  both [0,100): all 900 characters agree           -> 100%.
    # The mean of the two documents would be 50%; pooled it is (0 + 900) / 1000 = 90%.
    df = codings_frame([
        coding(0, 50, "leadership", "ana", doc_id="short"),
        coding(50, 100, "leadership", "budi", doc_id="short"),
        coding(0, 100, "leadership", "ana", doc_id="long"),
        coding(0, 100, "leadership", "budi", doc_id="long"),
    ])
    docs = pd.DataFrame({"doc_id": ["short", "long"], "n_chars": [100, 900]})
    table = character_agreement_table(df, docs, CODERS)
    assert row(table, "leadership", "short")["percent_agreement"] == 0.0
    assert row(table, "leadership", "long")["percent_agreement"] == 1.0
    pooled = row(table, "leadership", "all")
    assert (pooled["both"], pooled["only_1"], pooled["only_2"], pooled["neither"]) == (
        100, 50, 50, 800)
    agreeing = pooled["both"] + pooled["neither"]
    assert pooled["percent_agreement"] == pytest.approx(agreeing / 1000) == pytest.approx(0.9)
    # table [[100, 50], [50, 800]]: p_e = .15*.15 + .85*.85 = .745, kappa = .155/.255.
    assert pooled["kappa"] == pytest.approx(0.155 / 0.255)
    x = np.r_[np.ones(50), np.zeros(50), np.ones(100), np.zeros(800)]
    y = np.r_[np.zeros(50), np.ones(50), np.ones(100), np.zeros(800)]
    assert pooled["kappa"] == pytest.approx(cohen_kappa_score(x, y))


def test_character_overall_row_pools_codes_too() -> None:
    # leadership as in the NVivo example (50, 100, 50, 800); capital_growth only ana [200,300)
    # -> (0, 100, 0, 900). Overall: (50, 200, 50, 1700), 1750 of 2000 characters agree.
    df = codings_frame([coding(0, 150, "leadership", "ana"),
                        coding(100, 200, "leadership", "budi"),
                        coding(200, 300, "capital_growth", "ana")])
    docs = pd.DataFrame({"doc_id": ["d"], "n_chars": [1000]})
    table = character_agreement_table(df, docs, CODERS)
    overall = row(table, "overall")
    assert (overall["both"], overall["only_1"], overall["only_2"], overall["neither"]) == (
        50, 200, 50, 1700)
    assert overall["percent_agreement"] == pytest.approx(0.875)
    cap = row(table, "capital_growth", "d")
    assert cap["kappa"] == pytest.approx(0.0)  # budi never codes: no better than chance


def test_character_units_restrict_the_characters_counted() -> None:
    # Only [0,100) and [500,600) of a 1000-character document were read by both coders
    # ([0,100) listed twice: still 100 characters). ana codes [0,150), budi [50,550):
    # in [0,100): ana only [0,50) = 50, both [50,100) = 50;
    # in [500,600): budi only [500,550) = 50, neither [550,600) = 50  -> 100 of 200 agree.
    df = codings_frame([coding(0, 150, "leadership", "ana"),
                        coding(50, 550, "leadership", "budi"),
                        coding(0, 10, "leadership", "ana", doc_id="other"),
                        coding(0, 10, "leadership", "budi", doc_id="other")])
    docs = pd.DataFrame({"doc_id": ["d", "other"], "n_chars": [1000, 50]})
    units = spans("d", [(0, 100), (500, 600), (0, 100)])
    table = character_agreement_table(df, docs, CODERS, units=units)
    assert set(table["doc_id"]) == {"d", "all"}  # "other" is outside the units
    cell = row(table, "leadership", "d")
    assert (cell["both"], cell["only_1"], cell["only_2"], cell["neither"]) == (50, 50, 50, 50)
    assert cell["percent_agreement"] == pytest.approx(0.5)
    assert cell["kappa"] == pytest.approx(0.0)  # p_o = .5, p_e = .5*.5 + .5*.5 = .5


def test_character_agreement_nobody_codes_a_code_in_a_document() -> None:
    # capital_growth is coded only in "e", so in "d" every character is "neither":
    # 100% agreement, kappa undefined (nan), and no warning escapes the table function.
    df = codings_frame([coding(0, 10, "leadership", "ana"),
                        coding(0, 10, "leadership", "budi"),
                        coding(0, 5, "capital_growth", "ana", doc_id="e"),
                        coding(0, 5, "capital_growth", "budi", doc_id="e")])
    docs = pd.DataFrame({"doc_id": ["d", "e"], "n_chars": [20, 10]})
    table = character_agreement_table(df, docs, CODERS)
    cell = row(table, "capital_growth", "d")
    assert (cell["both"], cell["neither"], cell["percent_agreement"]) == (0, 20, 1.0)
    assert np.isnan(cell["kappa"])


# --------------------------------------------------------------------------- disagreements
def test_find_disagreements_kinds_order_and_texts() -> None:
    units = UNITS.iloc[::-1].reset_index(drop=True)  # given in reverse: output is sorted
    out = find_disagreements(CODINGS, units, CODERS, texts=pd.Series({"d": TEXT}))
    # u0 leadership: both, but ana positive vs budi negative     -> valence
    # u1 leadership: both negative                              -> agreement, not listed
    # u2 leadership: ana only; u4 leadership: budi only          -> presence
    # u3 capital_growth: both (neutral)                         -> agreement
    # u5 capital_growth: budi only                              -> presence
    assert out[["start", "code", "kind"]].values.tolist() == [
        [0, "leadership", "valence"],
        [20, "leadership", "presence"],
        [40, "leadership", "presence"],
        [50, "capital_growth", "presence"],
    ]
    assert out["text"].tolist() == ["kalimat00.", "kalimat02.", "kalimat04.", "kalimat05."]
    assert list(out.columns[:4]) == ["doc_id", "start", "end", "text"]
    first = out.iloc[0]
    assert (first["ana"], first["budi"]) == (1, 1)
    assert (first["valence_ana"], first["valence_budi"]) == ("positive", "negative")
    assert (out.iloc[1]["ana"], out.iloc[1]["budi"]) == (1, 0)
    assert (out.iloc[2]["ana"], out.iloc[2]["budi"]) == (0, 1)


def test_find_disagreements_code_filter_and_no_texts() -> None:
    out = find_disagreements(CODINGS, UNITS, CODERS, code="capital_growth")
    assert out[["start", "code", "kind"]].values.tolist() == [[50, "capital_growth", "presence"]]
    assert "text" not in out.columns
    assert find_disagreements(CODINGS, UNITS, CODERS, code="partnerships").empty


def test_find_disagreements_orders_by_document_then_position() -> None:
    df = codings_frame([coding(30, 40, "leadership", "ana", doc_id="b"),
                        coding(0, 10, "leadership", "budi", doc_id="b"),
                        coding(0, 10, "leadership", "ana", doc_id="a")])
    units = pd.concat([spans("b", [(30, 40), (0, 10)]), spans("a", [(0, 10)])])
    out = find_disagreements(df, units, CODERS)
    assert out[["doc_id", "start"]].values.tolist() == [["a", 0], ["b", 0], ["b", 30]]
    assert set(out["kind"]) == {"presence"}


def test_find_disagreements_code_level_sees_sub_code_difference() -> None:
    out = find_disagreements(CODINGS, UNITS, CODERS, level="code")
    u3 = out[out["start"] == 30]
    # factor level: both coded capital_growth on u3; code level: different codes.
    assert sorted(u3["code"]) == ["capital_growth", "capital_growth.loan_round"]
    assert set(u3["kind"]) == {"presence"}


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("coders", "match"), [
    (("ana",), r"two different coders; got \('ana',\)"),
    (("ana", "ana"), r"two different coders; got \('ana', 'ana'\)"),
    (("ana", "budi", "cici"), r"two different coders"),
    (("ana", "zoe"), r"no codings by coder\(s\) zoe; coders present: ana, budi, cici"),
])
@pytest.mark.parametrize("func", ["segment", "character", "disagreements"])
def test_bad_coders_raise_agreement_error(func: str, coders: tuple[str, ...],
                                          match: str) -> None:
    docs = pd.DataFrame({"doc_id": ["d"], "n_chars": [80]})
    call = {
        "segment": lambda: segment_agreement(CODINGS, UNITS, coders),
        "character": lambda: character_agreement_table(CODINGS, docs, coders),
        "disagreements": lambda: find_disagreements(CODINGS, UNITS, coders),
    }[func]
    with pytest.raises(AgreementError, match=match) as info:
        call()
    assert isinstance(info.value, QualError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("func", ["segment", "character", "disagreements"])
def test_bad_level_raises_parameter_error(func: str) -> None:
    docs = pd.DataFrame({"doc_id": ["d"], "n_chars": [80]})
    call = {
        "segment": lambda: segment_agreement(CODINGS, UNITS, CODERS, level="word"),
        "character": lambda: character_agreement_table(CODINGS, docs, CODERS, level="word"),
        "disagreements": lambda: find_disagreements(CODINGS, UNITS, CODERS, level="word"),
    }[func]
    name = {"segment": "segment_agreement", "character": "character_agreement_table",
            "disagreements": "find_disagreements"}[func]
    with pytest.raises(ParameterError,  # a bad option, not inconsistent agreement data
                       match=rf"The 'level' parameter of {name} must be one of "
                             r"\{'factor', 'code'\}\. Got 'word' instead"):
        call()


def test_frame_not_built_with_schema_is_refused() -> None:
    bad = CODINGS.drop(columns="factor")
    with pytest.raises(ValueError, match="missing column"):
        segment_agreement(bad, UNITS, CODERS)


def test_segment_agreement_without_units_is_clear() -> None:
    empty = UNITS.iloc[:0]
    try:
        table = segment_agreement(CODINGS, empty, CODERS)
    except QualError:
        return
    assert np.isnan(row(table, "overall")["percent_agreement"])


def test_character_units_with_unknown_document_is_clear() -> None:
    docs = pd.DataFrame({"doc_id": ["d"], "n_chars": [80]})
    with pytest.raises(QualError, match="nope"):
        character_agreement_table(CODINGS, docs, CODERS, units=spans("nope", [(0, 5)]))


# --------------------------------------------------------------------------- Project
ASOKA = "Ketua rajin datang. Rapat tiap bulan.\n\nModal bertambah. Pinjaman lancar."
MELATI = "Modal macet. Ketua jarang datang."


@pytest.fixture(scope="module")
def coded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agree") / "agree.uqp"
    docs = [plain_document("asoka-obs-x", ASOKA),
            plain_document("melati-obs-y", MELATI, group="Melati")]
    with Project.create(path, corpus=docs, codebook=tiny_codebook()) as proj:
        proj.code_quote("asoka-obs-x", "Ketua rajin", "leadership", coder="ana")
        proj.code_quote("asoka-obs-x", "Modal bertambah", "capital", coder="ana",
                        valence="positive")
        proj.code_quote("asoka-obs-x", "Rapat tiap bulan", "leadership.meetings", coder="budi")
        proj.code_quote("asoka-obs-x", "Modal bertambah", "capital", coder="budi",
                        valence="negative")
        proj.code_quote("asoka-obs-x", "Pinjaman lancar", "capital.loan", coder="budi")
        # only budi coded the Melati document
        proj.code_quote("melati-obs-y", "Modal macet", "capital", coder="budi")
    return path


@pytest.fixture
def coded(coded_template: Path, tmp_path: Path) -> Iterator[Project]:

    with copy_project(coded_template, tmp_path / "agree.uqp") as proj:
        yield proj


def test_project_agreement_segment_default_scope(coded: Project) -> None:
    table = coded.agreement(("ana", "budi"))
    # Default units: the sentences of the documents BOTH coders coded (asoka-obs-x only):
    #                 s1 Ketua..  s2 Rapat..  s3 Modal..  s4 Pinjaman..
    #   leadership    ana 1/0     0/1         0/0         0/0      -> 2/4
    #   capital       ana 0/0     0/0         1/1         0/1      -> 3/4
    assert table["code"].tolist() == ["capital", "leadership", "overall"]
    assert row(table, "leadership")["units"] == 4
    assert row(table, "leadership")["percent_agreement"] == pytest.approx(0.5)
    assert row(table, "capital")["percent_agreement"] == pytest.approx(0.75)
    assert row(table, "overall")["percent_agreement"] == pytest.approx(5 / 8)
    assert row(table, "overall")["kappa"] == pytest.approx(
        cohen_kappa_score([0, 0, 1, 0, 1, 0, 0, 0], [0, 0, 1, 1, 0, 1, 0, 0]))


def test_project_agreement_segment_with_scope(coded: Project) -> None:
    text = coded.document("asoka-obs-x").text
    start = text.index("Modal bertambah.")
    scope = pd.DataFrame({"doc_id": ["asoka-obs-x"], "start": [start],
                          "end": [start + len("Modal bertambah.")]})
    table = coded.agreement(("ana", "budi"), scope=scope)
    # one passage: both coded capital, nobody leadership -> full agreement on both factors
    assert row(table, "overall")["units"] == 2
    assert row(table, "overall")["percent_agreement"] == 1.0


def test_project_agreement_character(coded: Project) -> None:
    table = coded.agreement(("ana", "budi"), unit="character")
    n = len(ASOKA)
    # leadership in asoka-obs-x: ana "Ketua rajin" (11), budi "Rapat tiap bulan" (16), disjoint
    lead = row(table, "leadership", "asoka-obs-x")
    assert (lead["both"], lead["only_1"], lead["only_2"], lead["neither"]) == (
        0, 11, 16, n - 27)
    # capital: both "Modal bertambah" (15), budi also "Pinjaman lancar" (15)
    cap = row(table, "capital", "asoka-obs-x")
    assert (cap["both"], cap["only_1"], cap["only_2"]) == (15, 0, 15)
    # without a scope the character comparison covers every document either coder coded
    melati = row(table, "capital", "melati-obs-y")
    assert (melati["only_2"], melati["neither"]) == (len("Modal macet"), len(MELATI) - 11)
    pooled = row(table, "capital", "all")
    assert pooled["percent_agreement"] == pytest.approx(
        (15 + n - 30 + len(MELATI) - 11) / (n + len(MELATI)))


def test_project_agreement_character_with_scope_counts_only_scope(coded: Project) -> None:
    text = coded.document("asoka-obs-x").text
    start = text.index("Pinjaman lancar.")
    scope = pd.DataFrame({"doc_id": ["asoka-obs-x"], "start": [start], "end": [len(text)]})
    table = coded.agreement(("ana", "budi"), unit="character", scope=scope)
    assert set(table["doc_id"]) == {"asoka-obs-x", "all"}
    cap = row(table, "capital", "asoka-obs-x")
    # "Pinjaman lancar." is 16 characters; budi coded the first 15 of them
    assert (cap["both"], cap["only_1"], cap["only_2"], cap["neither"]) == (0, 0, 15, 1)


def test_project_agreement_bad_unit(coded: Project) -> None:
    with pytest.raises(ParameterError, match=r"The 'unit' parameter of (Project\.)?agreement must "
                                             r"be one of \{'segment', 'character'\}\. "
                                             r"Got 'word' instead"):
        coded.agreement(("ana", "budi"), unit="word")


def test_project_agreement_unknown_coder(coded: Project) -> None:
    with pytest.raises(AgreementError, match="no codings by coder"):
        coded.agreement(("ana", "zoe"))


def test_project_agreement_coders_without_shared_documents(coded: Project) -> None:
    coded.code_quote("melati-obs-y", "Ketua jarang datang", "leadership", coder="cici")
    with pytest.raises(AgreementError):
        coded.agreement(("ana", "cici"))


def test_project_disagreements(coded: Project) -> None:
    out = coded.disagreements(("ana", "budi"))
    assert out[["text", "code", "kind"]].values.tolist() == [
        ["Ketua rajin datang.", "leadership", "presence"],
        ["Rapat tiap bulan.", "leadership", "presence"],
        ["Modal bertambah.", "capital", "valence"],
        ["Pinjaman lancar.", "capital", "presence"],
    ]
    assert set(out["doc_id"]) == {"asoka-obs-x"}
    only_capital = coded.disagreements(("ana", "budi"), code="capital")
    assert only_capital["text"].tolist() == ["Modal bertambah.", "Pinjaman lancar."]
    by_code = coded.disagreements(("ana", "budi"), level="code", code="capital.loan")
    assert by_code["text"].tolist() == ["Pinjaman lancar."]
