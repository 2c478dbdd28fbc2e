"""Tests for the review loop: :meth:`Project.suggest`, :meth:`Project.review`,
:meth:`Project.review_stats` (:mod:`uppks_qual.review`), the ``reviews`` table and its schema
upgrade, the ``suggest``/``review`` commands, and an end-to-end suggest -> review -> refit.
"""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from conftest_project import build_template, copy_project, new_project, plain_document
from typer.testing import CliRunner

from uppks_qual import review as review_module
from uppks_qual import store
from uppks_qual.analysis import default_coders, evidence
from uppks_qual.cli import app
from uppks_qual.errors import ParameterError, StoreError, UnknownCodeError, UnknownDocumentError
from uppks_qual.project import Project
from uppks_qual.records import HUMAN_ORIGINS, ORIGINS, Coding
from uppks_qual.review import order_suggestions, review_summary, wilson_interval

#: name -> (document, words of the sentence, code, valence, confidence, auto coder)
AUTO = {
    "gain": ("asoka-int-a", "Modal kami bertambah.", "capital", "positive", 0.90, "auto"),
    "chair": ("asoka-int-a", "Ketua rajin datang ke rapat.", "leadership.meetings", "positive",
              0.55, "auto"),
    "loan": ("asoka-int-a", "🙂 Pinjaman lancar.", "capital.loan", "neutral", 0.30, "auto"),
    "stuck": ("asoka-int-a", "Rapat kadang batal, tapi modal tidak macet.", "capital",
              "negative", 0.48, "auto"),
    "cancel": ("asoka-int-a", "Rapat kadang batal, tapi modal tidak macet.", "leadership",
               "negative", 0.62, "auto"),
    "macet": ("melati-int-b", "Modal macet.", "capital", "negative", 0.75, "auto"),
    "absent": ("melati-int-b", "Ketua jarang datang ke rapat.", "leadership", "negative", 0.10,
               "auto"),
    "unpaid": ("melati-int-b", "Pinjaman belum lunas", "capital.loan", "neutral", 0.52, "auto"),
    "opens": ("melati-obs-c", "Ketua membuka rapat.", "leadership", "neutral", 0.40, "rules2"),
    "fund": ("melati-obs-c", "Permodalan kelompok dibahas", "capital", "positive", None, "auto"),
}
#: Passages a human already judged: ana coded "absent"'s sentence and read "unpaid"'s.
HUMAN_CODED, HUMAN_READ = "absent", "unpaid"
UNCERTAIN = ["stuck", "chair", "cancel", "loan", "macet", "gain", "fund"]
TOP = ["gain", "macet", "cancel", "chair", "stuck", "loan", "fund"]


def span(proj: Project, doc_id: str, words: str) -> tuple[int, int]:
    start = proj.document(doc_id).text.index(words)
    return start, start + len(words)


def fill(proj: Project) -> None:
    items = []
    for doc_id, words, code, valence, confidence, coder in AUTO.values():
        start, end = span(proj, doc_id, words)
        items.append(Coding(doc_id, start, end, code, coder, "auto", valence, confidence))
    proj.code_many(items)
    doc_id, words, *_ = AUTO[HUMAN_CODED]
    proj.code(doc_id, *span(proj, doc_id, words), "leadership", coder="ana",
              valence="negative")
    doc_id, words, *_ = AUTO[HUMAN_READ]
    start, end = span(proj, doc_id, words)
    proj.mark_read(pd.DataFrame([{"doc_id": doc_id, "start": start, "end": end}]), coder="ana")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("review-template") / "small.uqp", fill)


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Project:
    proj = copy_project(template, tmp_path / "p.uqp")
    yield proj
    proj.close()


def ids(proj: Project) -> dict[str, int]:
    """name -> coding id of the automatic codings of :data:`AUTO`."""
    auto = proj.codings(origin="auto").set_index(["doc_id", "start", "code_id", "coder"])
    out = {}
    for name, (doc_id, words, code, _, _, coder) in AUTO.items():
        out[name] = int(auto.loc[(doc_id, span(proj, doc_id, words)[0], code, coder),
                                 "coding_id"])
    return out


def names(proj: Project, frame: pd.DataFrame) -> list[str]:
    by_id = {v: k for k, v in ids(proj).items()}
    return [by_id[int(i)] for i in frame["suggestion_id"]]


# --------------------------------------------------------------------------- origins
def test_reviewed_is_a_human_origin() -> None:
    assert ORIGINS == ("manual", "auto", "reviewed")
    assert HUMAN_ORIGINS == ("manual", "reviewed")
    assert (*review_module.STRATEGIES, "direct") == store.REVIEW_STRATEGIES


# --------------------------------------------------------------------------- suggest
def test_uncertain_suggests_confidence_nearest_one_half_first(project: Project) -> None:
    todo = project.suggest()
    assert names(project, todo) == UNCERTAIN  # no confidence: last
    assert list(todo.columns) == ["suggestion_id", "doc_id", "start", "end", "code_id",
                                  "factor", "valence", "confidence", "text", "group",
                                  "informant"]
    first = todo.iloc[0]
    assert (first["code_id"], first["factor"], first["group"], first["informant"]) == \
        ("capital", "capital", "Asoka", "Ibu A")
    assert first["text"] == "Rapat kadang batal, tapi modal tidak macet."
    assert names(project, project.suggest(2)) == UNCERTAIN[:2]


def test_top_suggests_the_surest_first(project: Project) -> None:
    assert names(project, project.suggest(strategy="top")) == TOP


def test_random_is_a_seeded_sample_of_the_pool(project: Project) -> None:
    one = names(project, project.suggest(4, "random", seed=3))
    assert one == names(project, project.suggest(4, "random", seed=3))
    assert len(set(one)) == 4 and set(one) <= set(UNCERTAIN)
    others = {tuple(names(project, project.suggest(4, "random", seed=s))) for s in range(6)}
    assert len(others) > 1  # the seed matters
    assert sorted(names(project, project.suggest(50, "random"))) == sorted(UNCERTAIN)


def test_suggestions_leave_out_what_a_human_coded_or_read(project: Project) -> None:
    every = set(names(project, project.suggest(50)))
    assert HUMAN_CODED not in every and HUMAN_READ not in every
    assert "opens" not in every  # another automatic coder
    assert names(project, project.suggest(coder="rules2")) == ["opens"]


def test_suggest_filters_by_code_tree_and_document(project: Project) -> None:
    assert set(names(project, project.suggest(code="capital"))) == \
        {"gain", "loan", "stuck", "macet", "fund"}  # the sub-code capital.loan too
    assert names(project, project.suggest(code=["capital.loan"])) == ["loan"]
    assert set(names(project, project.suggest(doc_id="melati-int-b"))) == {"macet"}
    with pytest.raises(UnknownCodeError, match="unknown code 'kapital'"):
        project.suggest(code="kapital")
    with pytest.raises(UnknownDocumentError, match="unknown document 'nope'"):
        project.suggest(doc_id="nope")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n": 0}, r"The 'n' parameter of Project.suggest must be an int in the range \[1, inf\)"),
    ({"strategy": "best"}, r"'strategy' parameter .* one of \{'uncertain', 'random', 'top'\}"),
    ({"coder": " "}, r"'coder' parameter .* a non-empty string"),
])
def test_suggest_parameters(project: Project, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        project.suggest(**kwargs)


# --------------------------------------------------------------------------- review
def test_accept_makes_a_reviewed_human_coding(project: Project) -> None:
    sid = ids(project)["stuck"]
    project.suggest(1)  # drawn "uncertain"
    new = project.review(sid, accept=True, coder="rina", memo="clear")
    coding = project.codings(origin="reviewed").set_index("coding_id").loc[new]
    doc_id, words, *_ = AUTO["stuck"]
    assert (coding["doc_id"], coding["start"], coding["end"]) == \
        (doc_id, *span(project, doc_id, words))
    assert (coding["code_id"], coding["valence"], coding["coder"]) == \
        ("capital", "negative", "rina")
    assert math.isnan(coding["confidence"])  # a human judgement, not a score
    assert project.coders().set_index("coder").loc["rina", "kind"] == "human"
    read = project.readings(coder="rina")
    assert read[["doc_id", "start", "end"]].values.tolist() == \
        [[doc_id, *span(project, doc_id, words)]]
    row = project.reviews().iloc[0]
    assert row[["suggestion_id", "suggested_by", "suggested_code", "suggested_valence",
                "confidence", "strategy", "decision", "code_id", "valence", "coding_id",
                "coder", "memo"]].tolist() == \
        [sid, "auto", "capital", "negative", 0.48, "uncertain", "accepted", "capital",
         "negative", new, "rina", "clear"]
    assert row["created"]
    # the passage is now the human's: neither suggestion on it is drawn again
    assert {"stuck", "cancel"}.isdisjoint(names(project, project.suggest(50)))


def test_accept_with_a_corrected_code_and_valence(project: Project) -> None:
    sid = ids(project)["gain"]
    new = project.review(sid, coder="rina", code="capital.loan", valence="neutral")
    coding = project.codings(origin="reviewed").set_index("coding_id").loc[new]
    assert (coding["code_id"], coding["valence"]) == ("capital.loan", "neutral")
    row = project.reviews().iloc[0]
    assert (row["suggested_code"], row["code_id"], row["strategy"]) == \
        ("capital", "capital.loan", "direct")  # never drawn by suggest()
    counts = project.review_stats(strategy="direct")["strategies"].set_index("strategy")
    assert counts.loc["direct"].tolist() == [1, 1, 0, 1]


def test_reject_codes_nothing_but_reads_the_passage(project: Project) -> None:
    sid = ids(project)["macet"]
    before = project.codings()
    assert project.review(sid, accept=False, coder="rina") is None
    pd.testing.assert_frame_equal(project.codings(), before)
    doc_id, words, *_ = AUTO["macet"]
    assert project.readings(coder="rina")[["doc_id", "start", "end"]].values.tolist() == \
        [[doc_id, *span(project, doc_id, words)]]
    row = project.reviews().iloc[0]
    assert (row["decision"], row["code_id"], row["valence"]) == ("rejected", None, None)
    assert row["coding_id"] is pd.NA


def test_evidence_takes_the_reviewers_judgement(project: Project) -> None:
    sid = ids(project)
    project.review(sid["macet"], accept=False, coder="rina")
    accepted = project.review(sid["gain"], coder="rina")
    kept = project.evidence(kind="all")
    assert sid["macet"] not in set(kept["coding_id"])  # the rejected suggestion is not counted
    assert sid["gain"] not in set(kept["coding_id"])  # nor counted twice when accepted
    assert accepted in set(kept["coding_id"])
    assert project.evidence_coders[:2] == ["ana", "rina"]
    # the pure function agrees: a coder who only read (rejected) is a human coder
    df, read = project.codings(), project.readings()
    assert default_coders(df.iloc[0:0], read=read) == ["ana", "rina"]
    assert default_coders(df, read=read) == ["ana", "rina", "auto", "rules2"]
    only_rejecting = df[df["coder"] != "rina"]
    assert sid["macet"] not in set(evidence(only_rejecting, read=read)["coding_id"])
    assert sid["macet"] in set(evidence(only_rejecting)["coding_id"])


def test_reviewing_twice_is_an_error_and_changes_nothing(project: Project) -> None:
    sid = ids(project)["chair"]
    project.review(sid, coder="rina")
    dump = project.dump()
    for accept in (True, False):
        with pytest.raises(StoreError, match=rf"suggestion {sid} was already reviewed "
                                             r"\(accepted by rina") as info:
            project.review(sid, accept=accept, coder="budi")
        assert info.value.suggestion_id == sid
    assert project.dump() == dump


def test_a_suggestion_gone_with_autocoding_is_an_error(project: Project) -> None:
    old = ids(project)
    project.autocode()  # the rule coder replaces every automatic coding of "auto"
    assert old["gain"] not in set(project.codings()["coding_id"])
    fresh = project.codings(coder="auto", origin="auto")["coding_id"]
    assert fresh.min() > max(old.values())  # ids are never reused
    dump = project.dump()
    with pytest.raises(StoreError, match=rf"no suggestion with id {old['gain']}: .*"
                                         r"project.suggest\(\)"):
        project.review(old["gain"], coder="rina")
    assert project.dump() == dump


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda p, i: p.review(i["gain"], coder="auto"), StoreError, "is a auto coder"),
    (lambda p, i: p.review(10_000, coder="rina"), StoreError, "no suggestion with id 10000"),
    (lambda p, i: p.review(int(p.codings(origin="manual")["coding_id"][0]), coder="rina"),
     StoreError, "not an automatic coding"),
    (lambda p, i: p.review(i["gain"], coder="rina", code="kapital"), UnknownCodeError,
     "unknown code 'kapital'"),
    (lambda p, i: p.review(i["gain"], accept=False, coder="rina", valence="negative"),
     ParameterError, "a rejected suggestion codes nothing"),
    (lambda p, i: p.review(i["gain"], coder="rina", valence="good"), ParameterError,
     "'valence' parameter"),
    (lambda p, i: p.review(i["gain"], accept="yes", coder="rina"), ParameterError,
     "'accept' parameter"),
])
def test_a_bad_review_changes_nothing(project: Project, call, error, match) -> None:
    known = ids(project)
    dump = project.dump()
    with pytest.raises(error, match=match):
        call(project, known)
    assert project.dump() == dump


def test_reviewed_codings_survive_autocoding_again(project: Project) -> None:
    sid = ids(project)
    project.review(sid["gain"], coder="rina", valence="neutral")
    project.review(sid["macet"], accept=False, coder="rina")
    reviewed = project.codings(origin="reviewed")
    report = project.autocode()
    pd.testing.assert_frame_equal(project.codings(origin="reviewed"), reviewed)
    assert report["skipped_manual"] >= 1  # the rules' "gain" coding is the reviewed one
    assert len(project.reviews()) == 2
    # the rules code "Modal macet." again, but rina's rejection still has the say
    doc_id, words, *_ = AUTO["macet"]
    start = span(project, doc_id, words)[0]
    auto = project.codings(origin="auto")
    assert ((auto["doc_id"] == doc_id) & (auto["start"] == start)).any()
    kept = project.evidence(kind="all")
    assert not ((kept["doc_id"] == doc_id) & (kept["start"] == start)).any()


def test_a_code_with_reviewed_codings_cannot_be_removed(project: Project) -> None:
    project.review(ids(project)["loan"], coder="rina")
    smaller = type(project.codebook)(tuple(c for c in project.codebook
                                           if c.code_id != "capital.loan"), name="tiny")
    dump = project.dump()
    with pytest.raises(StoreError, match=r"capital.loan \(1 manual codings\)"):
        project.update_codebook(smaller)
    assert project.dump() == dump


# --------------------------------------------------------------------------- precision
def test_wilson_interval_worked_by_hand() -> None:
    # 8 of 10, z = 1.959964: centre (0.8 + z²/20) / (1 + z²/10) = 0.99207 / 1.38415 = 0.71674,
    # half-width z * sqrt(0.016 + z²/400) / 1.38415 = 0.31362 / 1.38415 = 0.22658
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.71674 - 0.22658, abs=1e-4)
    assert high == pytest.approx(0.71674 + 0.22658, abs=1e-4)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


@pytest.mark.parametrize(("k", "n"), [(8, 10), (0, 7), (7, 7), (1, 1), (13, 40), (199, 250)])
def test_wilson_interval_matches_statsmodels(k: int, n: int) -> None:
    from statsmodels.stats.proportion import proportion_confint

    expected = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n) == pytest.approx(expected, abs=1e-12)


def test_wilson_interval_of_nothing_is_nan() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def reviews_frame(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """Reviews from ``(strategy, decision, suggested_code, final code)``."""
    return pd.DataFrame([{"strategy": s, "decision": d, "suggested_code": c, "code_id": f,
                          "suggested_valence": "neutral", "valence": "neutral" if f else None}
                         for s, d, c, f in rows])


def test_review_summary_uses_the_random_draws_only() -> None:
    factor_of = {"capital": "capital", "capital.loan": "capital", "leadership": "leadership"}
    rows = [("random", "accepted", "capital", "capital")] * 5 + \
        [("random", "accepted", "capital.loan", "capital")] + \
        [("random", "accepted", "leadership", "leadership")] * 2 + \
        [("random", "rejected", "leadership", None)] + \
        [("random", "accepted", "capital", "leadership")] + \
        [("uncertain", "rejected", "capital", None)] * 4 + [("top", "accepted", "capital",
                                                               "capital")]
    out = review_summary(reviews_frame(rows), factor_of)
    precision = out["precision"].set_index("factor")
    assert list(precision.index) == ["overall", "capital", "leadership"]
    # overall: 10 random draws, 9 accepted, 8 with the suggested factor
    assert precision.loc["overall", ["n", "accepted", "correct"]].tolist() == [10, 9, 8]
    assert precision.loc["overall", "precision"] == 0.8
    assert precision.loc["overall", ["ci_low", "ci_high"]].tolist() == \
        pytest.approx([0.4902, 0.9433], abs=1e-4)
    assert precision.loc["capital", ["n", "accepted", "correct"]].tolist() == [7, 7, 6]
    assert precision.loc["leadership", ["n", "correct", "precision"]].tolist() == \
        pytest.approx([3, 2, 2 / 3])
    counts = out["strategies"].set_index("strategy")
    assert counts.loc["random"].tolist() == [10, 9, 1, 2]  # reviewed, acc., rej., corrected
    assert counts.loc["uncertain"].tolist() == [4, 0, 4, 0]
    assert counts.loc["top"].tolist() == [1, 1, 0, 0]
    assert counts.loc["direct"].tolist() == [0, 0, 0, 0]


def test_review_summary_without_random_draws_warns_and_is_nan() -> None:
    with pytest.warns(UserWarning, match=r"no suggestion drawn with strategy='random'"):
        out = review_summary(reviews_frame([("top", "accepted", "capital", "capital")]), {})
    assert out["precision"]["n"].tolist() == [0]
    assert math.isnan(out["precision"]["precision"].iloc[0])


def test_review_stats_of_a_project(project: Project) -> None:
    drawn = project.suggest(5, "random", seed=0)
    decisions = [True, True, False, True, True]
    for sid, accept in zip(drawn["suggestion_id"], decisions, strict=True):
        # two suggestions share a passage: reviewing one does not stop the other's review
        project.review(int(sid), accept=accept, coder="rina")
    leftover = project.suggest(1)  # then one drawn "uncertain", rejected
    project.review(int(leftover["suggestion_id"][0]), accept=False, coder="rina")
    stats = project.review_stats()
    overall = stats["precision"].iloc[0]
    assert (overall["factor"], overall["n"], overall["correct"]) == ("overall", 5, 4)
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(wilson_interval(4, 5))
    factors = set(drawn["factor"])
    assert set(stats["precision"]["factor"]) == {"overall", *factors}
    counts = stats["strategies"].set_index("strategy")["reviewed"]
    assert (counts["random"], counts["uncertain"]) == (5, 1)
    assert project.reviews()["strategy"].tolist() == ["random"] * 5 + ["uncertain"]


def test_a_random_draw_stays_random_when_drawn_again(project: Project) -> None:
    first = project.suggest(1, "random", seed=0)["suggestion_id"][0]
    project.suggest(50, "top")  # draws it again
    project.review(int(first), accept=False, coder="rina")
    assert project.reviews()["strategy"].tolist() == ["random"]


def test_draws_are_remembered_across_filtered_draws(project: Project) -> None:
    known = ids(project)
    project.suggest(50, "random", code="capital")
    project.suggest(50, "top", code="leadership")  # other codes: the random draws stay
    project.suggest(50, "uncertain", doc_id="melati-int-b")  # "macet" again
    for name in ("gain", "chair", "macet", "loan"):
        project.review(known[name], accept=True, coder="rina")
    assert project.reviews()["strategy"].tolist() == ["random", "top", "random", "random"]


def test_order_suggestions_keeps_reading_order_on_ties() -> None:
    frame = pd.DataFrame({"suggestion_id": [1, 2, 3, 4],
                          "confidence": [0.6, float("nan"), 0.4, 0.6]})
    assert order_suggestions(frame, "uncertain", 4)["suggestion_id"].tolist() == [1, 3, 4, 2]
    assert order_suggestions(frame, "top", 4)["suggestion_id"].tolist() == [1, 4, 3, 2]
    assert order_suggestions(frame.iloc[:0], "random", 3).empty


# --------------------------------------------------------------------------- schema upgrade
def downgrade_to_version_3(path: Path) -> None:
    """Make ``path`` a version-3 file: no ``reviews``, the old ``codings`` table."""
    conn = sqlite3.connect(path)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'codings'").fetchone()[0]
        indexes = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'codings' AND type = 'index' "
            "AND sql IS NOT NULL")]
        conn.execute("DROP TABLE reviews")
        conn.execute("ALTER TABLE codings RENAME TO codings_4")
        for name in [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'codings_4' AND type = 'index' "
                "AND sql IS NOT NULL")]:
            conn.execute(f"DROP INDEX {name}")
        conn.execute(sql.replace(" AUTOINCREMENT", "").replace(", 'reviewed'", ""))
        for index in indexes:
            conn.execute(index)
        conn.execute("INSERT INTO codings SELECT * FROM codings_4")
        conn.execute("DROP TABLE codings_4")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'codings'")
        conn.execute("DELETE FROM meta WHERE key = 'suggestion_draws'")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()


def table_sql(path: Path, name: str) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def file_dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def version_3(project: Project) -> tuple[Path, pd.DataFrame]:
    """A version-3 file with the template's codings, and those codings."""
    project.suggest(3)
    before = project.codings()
    project.close()
    downgrade_to_version_3(project.path)
    assert store.check_version(project.path) == 3
    assert "'reviewed'" not in table_sql(project.path, "codings")
    assert table_sql(project.path, "reviews") is None
    return project.path, before


def test_a_version_3_file_is_upgraded_in_place(version_3: tuple[Path, pd.DataFrame]) -> None:
    path, before = version_3
    with Project.open(path) as again:
        assert again.get_meta("schema_version") == str(store.SCHEMA_VERSION) == "5"
        pd.testing.assert_frame_equal(again.codings(), before)  # every row, with its id
        assert again.check_integrity() == []
        sid = ids(again)["stuck"]
        assert names(again, again.suggest()) == UNCERTAIN
        new = again.review(sid, coder="rina")
        assert new > int(before["coding_id"].max())
        assert again.codings(origin="reviewed")["coding_id"].tolist() == [new]
        assert again.reviews()["strategy"].tolist() == ["uncertain"]
    sql = table_sql(path, "codings")
    assert "AUTOINCREMENT" in sql and "'reviewed'" in sql
    conn = sqlite3.connect(path)
    try:
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codings'")}
        leftovers = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '%codings_old%'")]
    finally:
        conn.close()
    assert {"ix_codings_doc_id", "ix_codings_code_id", "ix_codings_coder"} <= indexes
    assert leftovers == []


def test_a_failing_upgrade_leaves_the_file_as_it_was(
        version_3: tuple[Path, pd.DataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = version_3
    dump = file_dump(path)
    rebuild = store._rebuild_codings

    def half_done(conn: object) -> None:
        rebuild(conn)  # type: ignore[arg-type]
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_rebuild_codings", half_done)
    with pytest.raises(RuntimeError, match="disk full"):
        Project.open(path)
    assert file_dump(path) == dump
    assert store.check_version(path) == 3


# --------------------------------------------------------------------------- command line
runner = CliRunner()


def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_cli_suggest_prints_the_suggestions(project: Project) -> None:
    project.close()
    result = run("suggest", project.path, "-n", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    sid = ids(Project.open(project.path))["stuck"]
    assert re.fullmatch(rf"#{sid}  asoka-int-a \[121, 164\)  capital  negative  "
                        r"confidence 0\.48", lines[0])
    assert lines[1] == "  Rapat kadang batal, tapi modal tidak macet."
    assert lines[-1].startswith("2 suggestion(s) drawn (uncertain)")
    result = run("suggest", project.path, "--strategy", "top", "--code", "leadership")
    assert result.exit_code == 0, result.output
    assert "capital" not in result.output and "leadership.meetings" in result.output


def test_cli_review_accept_reject_and_stats(project: Project) -> None:
    drawn = project.suggest(3, "random", seed=0)
    project.close()
    first, second, third = (int(i) for i in drawn["suggestion_id"])
    result = run("review", project.path, first, "--accept", "--coder", "rina",
                 "--valence", "negative")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"suggestion {first} accepted as coding \d+ by rina\n", result.output)
    result = run("review", project.path, second, "--reject", "--coder", "rina")
    assert result.output == f"suggestion {second} rejected by rina\n"
    assert run("review", project.path, third, "--accept", "--coder", "rina").exit_code == 0
    result = run("review", project.path, "--stats")
    assert result.exit_code == 0, result.output
    overall = next(line for line in result.output.splitlines() if line.startswith("overall"))
    assert overall.split()[1:5] == ["3", "2", "2", "0.667"]
    assert re.search(r"random\s+3\s+2\s+1", result.output)
    with Project.open(project.path) as again:
        assert again.reviews()["decision"].tolist() == ["accepted", "rejected", "accepted"]
        assert again.codings(origin="reviewed")["valence"].tolist()[0] in ("negative",
                                                                          "positive",
                                                                          "neutral")


@pytest.mark.parametrize("args", [
    ("{id}", "--accept"),  # no coder
    ("{id}", "--coder", "rina"),  # no decision
    ("12x", "--accept", "--coder", "rina"),
    ("99999", "--accept", "--coder", "rina"),
    ("{id}", "--reject", "--coder", "rina", "--code", "capital"),
])
def test_cli_review_errors_are_one_line(project: Project, args: tuple[str, ...]) -> None:
    sid = ids(project)["gain"]
    project.close()
    dump = file_dump(project.path)
    result = run("review", project.path, *(a.format(id=sid) for a in args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and len(result.output.strip().splitlines()) == 1
    assert file_dump(project.path) == dump


def test_cli_reviewing_twice_exits_1(project: Project) -> None:
    sid = ids(project)["gain"]
    project.close()
    assert run("review", project.path, sid, "--accept", "--coder", "rina").exit_code == 0
    result = run("review", project.path, sid, "--reject", "--coder", "rina")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: suggestion {sid} was already reviewed")


# --------------------------------------------------------------------------- the loop
ECONOMIC = ["Modal kelompok bertambah tahun ini.", "Modal usaha dipakai untuk warung.",
            "Modal simpan pinjam naik lagi.", "Modal awal dari iuran anggota.",
            "Modal kelompok dipinjam anggota.", "Modal usaha naik tahun ini."]
SOCIAL = ["Modal sosial warga sangat kuat.", "Modal sosial terlihat saat gotong royong.",
          "Modal sosial tumbuh dari arisan.", "Modal sosial menjaga kepercayaan.",
          "Modal sosial warga terlihat di arisan.", "Modal sosial tumbuh saat gotong royong."]
CHAIR = ["Ketua rajin datang.", "Ketua jarang hadir.", "Ketua membuka rapat."]
ASIDE = ["Cuaca cerah sekali.", "Anak anak bermain di halaman."]
HELD_OUT = "Modal sosial warga tumbuh dari gotong royong."


def interview(doc_id: str, sentences: list[str]) -> object:
    return plain_document(doc_id, "P: Bagaimana kelompok ini?\nI: " + " ".join(sentences)
                          + "\n", source_type="interview")


def project_training(proj: Project) -> pd.DataFrame:
    """Passage codings the learned coder trains on: the project's human codings (manual and
    reviewed) and the passages humans read and left uncoded (rejections among them)."""
    coded = proj.codings(origin=list(HUMAN_ORIGINS))
    rows = [{"passage_id": f"{r.doc_id}:{r.start}:{r.end}", "doc_id": r.doc_id,
             "start": r.start, "end": r.end, "code_id": r.code_id, "valence": r.valence}
            for r in coded.itertuples()]
    done = {(r["doc_id"], r["start"], r["end"]) for r in rows}
    rows += [{"passage_id": f"{r.doc_id}:{r.start}:{r.end}", "doc_id": r.doc_id,
              "start": r.start, "end": r.end, "code_id": "", "valence": None}
             for r in proj.readings().itertuples() if (r.doc_id, r.start, r.end) not in done]
    return pd.DataFrame(rows)


def held_out(proj: Project) -> dict[str, float]:
    """code -> confidence of the automatic codings of the held-out interview."""
    auto = proj.codings(origin="auto")
    auto = auto[auto["doc_id"] == "x"]
    return dict(zip(auto["code_id"], auto["confidence"], strict=True))


def test_suggest_review_refit_changes_the_predictions(tmp_path: Path) -> None:
    docs = [interview(f"d{i}", [ECONOMIC[i], SOCIAL[i], CHAIR[i % 3], ASIDE[i % 2]])
            for i in range(len(ECONOMIC))]
    docs.append(interview("x", [HELD_OUT, "Ketua rajin bekerja."]))
    with new_project(tmp_path / "loop.uqp", docs) as proj:
        proj.autocode()  # the rules code every "modal" sentence as capital
        for r in proj.segments(kind="sentence").itertuples():  # ana coded two interviews,
            if r.doc_id not in ("d0", "d1") or "sosial" in r.text:  # but not "modal sosial"
                continue
            if r.text in ECONOMIC:
                proj.code(r.doc_id, r.start, r.end, "capital", coder="ana", valence="positive")
            elif r.text in CHAIR:
                proj.code(r.doc_id, r.start, r.end, "leadership", coder="ana",
                          valence="negative" if "jarang" in r.text else "positive")
            else:
                proj.mark_read(pd.DataFrame([r._asdict()])[["doc_id", "start", "end"]],
                               coder="ana")
        proj.autocode(method="learned", training=project_training(proj))
        before = held_out(proj)
        assert before["capital"] > 0.75  # "modal" is capital, says the model

        todo = proj.suggest(20, code="capital")
        assert any("sosial" in t for t in todo["text"])
        for r in todo.itertuples():
            if r.doc_id != "x":  # x is held out: the reviewer does not see it
                proj.review(r.suggestion_id, accept="sosial" not in r.text, coder="rina")
        reviews = proj.reviews()
        assert set(reviews["decision"]) == {"accepted", "rejected"}

        proj.autocode(method="learned", training=project_training(proj))
        after = held_out(proj)  # social capital is not capital: less sure, or not coded
        assert after.get("capital", 0.0) < before["capital"] - 0.3
        assert after["leadership"] > 0.75  # the rest still coded
        assert len(proj.codings(origin="reviewed")) == (reviews["decision"] == "accepted").sum()
