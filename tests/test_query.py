"""Tests for :meth:`uppks_qual.project.Project.query` and the ``uppks-qual query`` command.

Most tests use a tiny project built here (three documents of the tiny codebook, coded by hand
on whole sentences), so every expected passage and context is known exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest_project import copy_project, new_project, real_codebook, real_corpus
from typer.testing import CliRunner, Result

from uppks_qual.cli import app
from uppks_qual.errors import ParameterError, UnknownCodeError
from uppks_qual.project import Project
from uppks_qual.records import Document

ASOKA = ("P: Bagaimana rapat kelompok?\n"
         "I: Kami mulai tahun 2001. Ketua rajin datang. Rapat tiap bulan. Modal bertambah. "
         "[Ketua tampak bangga.] Itu saja.\n"
         "P: Ada masalah?\n"
         "I: Rapat kadang batal. Pinjaman lancar.\n")
MELATI = ("P: Modal bagaimana, Bu?\n"
          "I: Modal macet. Ketua jarang datang.\n")
OBSERVATION = "Rapat dimulai terlambat. Ketua membuka rapat.\n\nPinjaman putaran IV lunas.\n"

#: (doc_id, quote, code, valence) of every coding by "rina".
CODINGS = [
    ("a-int", "Ketua rajin datang.", "leadership", "positive"),
    ("a-int", "Rapat tiap bulan.", "leadership.meetings", "positive"),
    ("a-int", "Modal bertambah.", "capital", "positive"),
    ("a-int", "Ketua tampak bangga.", "leadership", "positive"),  # inside a researcher's note
    ("a-int", "Rapat kadang batal.", "leadership.meetings", "negative"),
    ("a-int", "Pinjaman lancar.", "capital.loan", "positive"),
    ("m-int", "Modal macet.", "capital", "negative"),
    ("m-int", "Ketua jarang datang.", "leadership", "negative"),
    ("m-obs", "Ketua membuka rapat.", "leadership.meetings", "neutral"),
]

runner = CliRunner()


def documents() -> list[Document]:
    return [
        Document("a-int", ASOKA, "Asoka", "Durian Daun", "interview", "chair", "Ibu Ratna",
                 "2004"),
        Document("m-int", MELATI, "Melati", "Padang Olo", "interview", "member", "Ibu Sari",
                 "2004"),
        Document("m-obs", OBSERVATION, "Melati", "Padang Olo", "observation", "researcher",
                 "Peneliti", "2004"),
    ]


def fill(project: Project) -> None:
    for doc_id, quote, code, valence in CODINGS:
        project.code_quote(doc_id, quote, code, coder="rina", valence=valence)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("query") / "template.uqp"
    with new_project(path, documents()) as project:
        fill(project)
    return path


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Iterator[Project]:
    proj = copy_project(template, tmp_path / "query.uqp")
    yield proj
    proj.close()


def texts(frame: pd.DataFrame) -> list[str]:
    return list(frame["text"])


# --------------------------------------------------------------------------- filters
def test_columns_and_reading_order(project: Project) -> None:
    hits = project.query()
    evidence = project.evidence(kind="all")
    assert list(hits.columns) == [*evidence.columns, "before", "after", "passage"]
    assert texts(hits) == [q for _, q, _, _ in CODINGS if q != "Ketua tampak bangga."]


def test_a_code_matches_its_descendants(project: Project) -> None:
    assert texts(project.query("leadership", context=0)) == [
        "Ketua rajin datang.", "Rapat tiap bulan.", "Rapat kadang batal.",
        "Ketua jarang datang.", "Ketua membuka rapat."]
    assert texts(project.query("leadership.meetings")) == [
        "Rapat tiap bulan.", "Rapat kadang batal.", "Ketua membuka rapat."]
    assert texts(project.query(["capital.loan", "leadership.meetings"])) == [
        "Rapat tiap bulan.", "Rapat kadang batal.", "Pinjaman lancar.", "Ketua membuka rapat."]


@pytest.mark.parametrize(("valence", "expected"), [
    ("negative", ["Rapat kadang batal.", "Modal macet.", "Ketua jarang datang."]),
    (["neutral", "negative"], ["Rapat kadang batal.", "Modal macet.", "Ketua jarang datang.",
                               "Ketua membuka rapat."]),
])
def test_valence(project: Project, valence: str | list[str], expected: list[str]) -> None:
    assert texts(project.query(valence=valence)) == expected


def test_where_with_values_and_lists(project: Project) -> None:
    melati = project.query(where={"group": "Melati"})
    assert set(melati["doc_id"]) == {"m-int", "m-obs"}
    members = project.query("leadership", where={"group": ["Melati", "Asoka"],
                                                 "informant_role": ["member", "chair"]})
    assert texts(members) == ["Ketua rajin datang.", "Rapat tiap bulan.",
                              "Rapat kadang batal.", "Ketua jarang datang."]
    both = project.query("capital", valence="negative", where={"source_type": "interview"})
    assert texts(both) == ["Modal macet."]


def test_where_value_no_coding_has_warns(project: Project) -> None:
    with pytest.warns(UserWarning, match=r"group='Melatii'.*Asoka, Melati"):
        assert project.query(where={"group": "Melatii"}).empty


def test_no_match_is_an_empty_frame_with_the_columns(project: Project) -> None:
    hits = project.query("capital.loan", valence="negative")
    assert hits.empty
    assert {"before", "after", "passage", "doc_id"} <= set(hits.columns)


# --------------------------------------------------------------------------- context
def row(frame: pd.DataFrame, text: str) -> pd.Series:
    found = frame[frame["text"] == text]
    assert len(found) == 1, text
    return found.iloc[0]


def test_context_one_is_the_neighbouring_sentences_of_the_same_turn(project: Project) -> None:
    hits = project.query(context=1)
    middle = row(hits, "Rapat tiap bulan.")
    assert (middle["before"], middle["after"]) == ("Ketua rajin datang.", "Modal bertambah.")
    assert middle["passage"] == "Ketua rajin datang. Rapat tiap bulan. Modal bertambah."
    # the first sentence of a turn: nothing from the interviewer's question or the turn before
    first = row(hits, "Rapat kadang batal.")
    assert (first["before"], first["after"]) == ("", "Pinjaman lancar.")
    # the last sentence of a turn: nothing from the next turn
    last = row(hits, "Pinjaman lancar.")
    assert (last["before"], last["after"]) == ("Rapat kadang batal.", "")
    # a paragraph of an observation is a unit too
    para = row(hits, "Ketua membuka rapat.")
    assert (para["before"], para["after"]) == ("Rapat dimulai terlambat.", "")


def test_context_n_stops_at_the_turn(project: Project) -> None:
    hits = project.query(context=2)
    middle = row(hits, "Rapat tiap bulan.")
    assert middle["before"] == "Kami mulai tahun 2001. Ketua rajin datang."
    assert middle["after"] == "Modal bertambah. [Ketua tampak bangga.]"
    first = row(project.query(context=50), "Rapat kadang batal.")
    assert (first["before"], first["after"]) == ("", "Pinjaman lancar.")


def test_context_turn_is_the_whole_turn(project: Project) -> None:
    hits = project.query(context="turn")
    middle = row(hits, "Rapat tiap bulan.")
    assert middle["before"] == "Kami mulai tahun 2001. Ketua rajin datang."
    assert middle["after"] == "Modal bertambah. [Ketua tampak bangga.] Itu saja."
    assert row(hits, "Rapat kadang batal.")["passage"] == "Rapat kadang batal. Pinjaman lancar."


def test_context_zero_is_none(project: Project) -> None:
    hits = project.query(context=0)
    assert (hits["before"] == "").all() and (hits["after"] == "").all()
    assert list(hits["passage"]) == list(hits["text"])


def test_a_coding_inside_a_sentence_gets_the_rest_of_it(project: Project) -> None:
    project.code_quote("a-int", "tiap bulan", "stage", coder="rina")
    hit = row(project.query("stage"), "tiap bulan")
    assert (hit["before"], hit["after"]) == ("Ketua rajin datang. Rapat", ". Modal bertambah.")
    assert hit["passage"] == "Ketua rajin datang. Rapat tiap bulan. Modal bertambah."


# --------------------------------------------------------------------------- notes
def test_notes_are_left_out_unless_asked(project: Project) -> None:
    assert "Ketua tampak bangga." not in texts(project.query("leadership"))
    hits = project.query("leadership", include_notes=True)
    note = row(hits, "Ketua tampak bangga.")
    assert note["kind"] == "note"
    assert (note["before"], note["after"]) == ("Modal bertambah. [", "] Itu saja.")


# --------------------------------------------------------------------------- errors
def test_unknown_column_names_the_known_ones(project: Project) -> None:
    with pytest.raises(ParameterError, match=r"unknown column 'grup'; known columns: .*group"):
        project.query(where={"grup": "Asoka"})


def test_unknown_code_names_the_known_ones(project: Project) -> None:
    with pytest.raises(UnknownCodeError, match=r"unknown code 'leader'; known codes: capital"):
        project.query(["leadership", "leader"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"valence": "bad"}, r"'valence' parameter of Project.query must be one of"),
    ({"valence": ["positive", "good"]}, r"Got 'good' instead"),
    ({"context": -1}, r"'context' parameter of Project.query"),
    ({"context": "sentence"}, r"'context' parameter"),
    ({"context": True}, r"'context' parameter"),
    ({"where": ["group"]}, r"'where' parameter"),
])
def test_bad_parameters(project: Project, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        project.query(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- command line
def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_cli_prints_passages_and_the_count(template: Path) -> None:
    result = run("query", template, "--code", "leadership", "--where", "group=Asoka,Melati",
                 "--where", "informant_role=chair", "--context", "1")
    assert result.exit_code == 0, result.output
    blocks = result.stdout.strip().split("\n\n")
    assert blocks[0].splitlines() == [
        "[Asoka] Ibu Ratna (chair), a-int  leadership  positive",
        "  Kami mulai tahun 2001. »Ketua rajin datang.« Rapat tiap bulan."]
    assert blocks[1].splitlines()[1] == "  Ketua rajin datang. »Rapat tiap bulan.« Modal bertambah."
    assert blocks[-1] == "3 passages (showing 3)"


def test_cli_limit_valence_and_wrapping(template: Path) -> None:
    result = run("query", template, "--valence", "negative", "--context", "turn",
                 "--limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "[Asoka] Ibu Ratna (chair), a-int  leadership.meetings  negative"
    assert lines[1] == "  »Rapat kadang batal.« Pinjaman lancar."
    assert lines[-1] == "3 passages (showing 1)"
    every = run("query", template, "--context", "turn", "--limit", "0")
    assert every.stdout.strip().splitlines()[-1] == "8 passages (showing 8)"
    assert all(len(line) <= 100 for line in every.stdout.splitlines())


def test_cli_include_notes(template: Path) -> None:
    result = run("query", template, "--code", "leadership", "--include-notes", "--context", "0")
    assert result.exit_code == 0, result.output
    assert "»Ketua tampak bangga.«" in result.stdout
    assert result.stdout.strip().endswith("6 passages (showing 6)")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--code", "nope"], 1, "unknown code 'nope'"),
    (["--where", "grup=Asoka"], 1, "unknown column 'grup'"),
    (["--where", "group"], 2, "COLUMN=VALUE"),
    (["--context", "x"], 2, "'turn'"),
    (["--valence", "bad"], 2, "bad"),
])
def test_cli_errors(template: Path, args: list[str], code: int, message: str) -> None:
    result = run("query", template, *args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert message in " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


# --------------------------------------------------------------------------- bundled data
@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    keep = {"asoka-int-chair", "melati-int-chair", "melati-obs-meeting"}
    path = tmp_path_factory.mktemp("bundled") / "bundled.uqp"
    proj = new_project(path, [d for d in real_corpus() if d.doc_id in keep], real_codebook())
    proj.autocode(coder="auto")
    yield proj
    proj.close()


def test_bundled_passages_stay_inside_their_turn(bundled: Project) -> None:
    hits = bundled.query("officer_role", where={"group": "Melati"}, context=1)
    evidence = bundled.evidence(kind="all")
    expected = evidence[(evidence["factor"] == "officer_role") & (evidence["group"] == "Melati")]
    assert len(hits) == len(expected) > 0
    assert set(hits["code_id"]) <= {"officer_role", "officer_role.guidance",
                                    "officer_role.constraints"}
    units = bundled.segments()
    units = units[units["kind"] != "sentence"]
    for hit in hits.itertuples():
        unit = units[(units["doc_id"] == hit.doc_id) & (units["start"] <= hit.start)
                     & (units["end"] > hit.start)]
        assert " ".join(str(hit.text).split()) in hit.passage
        assert hit.passage in " ".join(unit["text"].iloc[0].split())
