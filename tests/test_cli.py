"""Tests for :mod:`uppks_qual.cli`, the ``uppks-qual`` command line.

The main job (``reproduce``) runs once per module on the bundled data; the other commands reuse
its project (on copies where they write). The module docstring of ``cli.py`` promises that a
user's mistake prints a clear message and exits with status 1, never a traceback: under
``CliRunner`` an uncaught exception shows up as ``result.exception`` rather than as printed
text, so :func:`assert_clean` checks both.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from conftest_project import ROOT, copy_project, without_ids
from typer.testing import CliRunner

from uppks_qual.cli import app
from uppks_qual.project import Project

CORPUS = ROOT / "data" / "interviews"
CODEBOOK = ROOT / "codebook.yaml"
GOLD = ROOT / "data" / "coding" / "gold.csv"
BUDI = ROOT / "data" / "coding" / "coder_budi.csv"
SAMPLE = ROOT / "data" / "coding" / "sample.csv"
SIX_FACTORS = ["leadership", "information_clarity", "leader_support", "officer_role",
               "capital_growth", "partnerships"]
TABLES = ["frequencies", "framework_matrix", "comparison", "hypothesis", "hypothesis_auto_only"]
CHARTS = ["frequencies_raw", "frequencies_per_1000_words", "valence", "code_document_heatmap",
          "cooccurrence", "stripe_1_Asoka", "stripe_2_Melati"]
PNG = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def squash(text: str) -> str:
    """Output without rich's box drawing and with single spaces (for wrapped messages)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def assert_clean(result: Result, code: int) -> None:
    """Exit status ``code`` with no uncaught exception and no traceback printed."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- reproduce
@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    folder = tmp_path_factory.mktemp("cli")
    project, out = folder / "uppks.uqp", folder / "results"
    no_training = folder / "no-training"
    no_training.mkdir()
    result = run("reproduce", "--corpus", CORPUS, "--codebook", CODEBOOK,
                 "--training", no_training, "--project", project,
                 "--out", out)
    return result, project, out


@pytest.fixture(scope="module")
def project_path(reproduced: tuple[Result, Path, Path]) -> Path:
    result, project, _ = reproduced
    assert result.exit_code == 0, result.output
    return project


def test_reproduce_runs_and_reports(reproduced: tuple[Result, Path, Path]) -> None:
    result, project, _ = reproduced
    assert_clean(result, 0)
    gold = pd.read_csv(GOLD, dtype=str, keep_default_na=False)
    n_manual = int((gold["code_id"] != "").sum())
    text = squash(result.output)
    assert f"imported {n_manual} manual codings of ana" in text
    assert "auto-coded" in text and "26 documents" in text
    assert "Hypothesis: better in Asoka (a) than in Melati (b)" in text
    for factor in SIX_FACTORS:
        assert factor in text
    assert "About the data: ILLUSTRATIVE RECONSTRUCTION" in text
    assert project.exists()


def test_reproduce_writes_tables_charts_and_report(reproduced: tuple[Result, Path, Path]) -> None:
    _, _, out = reproduced
    for table in TABLES:
        frame = pd.read_csv(out / f"{table}.csv")
        assert len(frame) > 0, table
    thesis = pd.read_csv(out / "hypothesis.csv")
    assert thesis["factor"].tolist() == SIX_FACTORS
    for chart in CHARTS:
        assert (out / f"{chart}.png").read_bytes()[:8] == PNG
        assert b"<svg" in (out / f"{chart}.svg").read_bytes()[:2000]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE RECONSTRUCTION" in page
    assert "data:image/png;base64," in page


def test_reproduce_project_holds_auto_and_manual_codings(project_path: Path) -> None:
    with Project.open(project_path) as proj:
        codings = proj.codings()
    assert set(codings["origin"]) == {"auto", "manual"}
    assert set(codings.loc[codings["origin"] == "manual", "coder"]) == {"ana"}


def test_reproduce_with_a_missing_corpus_fails_cleanly(tmp_path: Path) -> None:
    result = run("reproduce", "--corpus", tmp_path / "no-such-folder", "--codebook", CODEBOOK,
                 "--project", tmp_path / "p.uqp", "--out", tmp_path / "out")
    assert_clean(result, 1)
    assert "no-such-folder" in result.output
    assert not (tmp_path / "p.uqp").exists()


# --------------------------------------------------------------------------- check
def test_check_bundled_data() -> None:
    result = run("check", CORPUS, "--codebook", CODEBOOK)
    assert_clean(result, 0)
    n_docs = len(list(CORPUS.rglob("*.txt")))
    assert f"{n_docs} documents" in result.output
    lines = result.output.splitlines()
    for group in ("Asoka", "Melati", "All"):
        assert any(line.startswith(group) for line in lines), group
    for column in ("documents", "units", "sentences", "words"):
        assert column in result.output
    assert "Codebook" in result.output and "(6 factors)" in result.output
    assert "About the data: ILLUSTRATIVE RECONSTRUCTION, NOT FIELD DATA" in result.output


FRONT = ("---\nid: {id}\ngroup: {group}\nvillage: Durian Daun\nsource_type: {kind}\n"
         "informant_role: {role}\ninformant: Ibu A\ndate: 2004-03-11\n---\n")
BAD_CODEBOOK = """\
name: bad
codes:
  - id: leadership
    kind: factor
    label: {en: Leadership, id: Kepemimpinan}
  - id: leadership.meetings
    parent: trust
    label: {en: Meetings, id: Rapat}
"""


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "corpus.yaml").write_text("groups:\n  Asoka: Durian Daun\n  Melati: Padang Olo\n",
                                        encoding="utf-8")
    interview = FRONT.format(id="a-one", group="Asoka", kind="interview", role="chair")
    (folder / "a.txt").write_text(interview + "P: Apa kabar?\nI: Baik.\nX: Siapa ini?\n",
                                  encoding="utf-8")  # line 12: undeclared speaker X
    typo = FRONT.format(id="b-two", group="Asoka", kind="interview", role="chair")
    typo = typo.replace("group: Asoka\n", "grup: Asoka\ngroup: Asoka\n")  # line 3: typo key
    (folder / "b.txt").write_text(typo + "P: Apa kabar?\n", encoding="utf-8")
    latin = FRONT.format(id="c-three", group="Asoka", kind="observation", role="researcher")
    (folder / "c.txt").write_bytes(latin.encode() + "Café ramai.\n".encode("latin-1"))
    unknown = FRONT.format(id="d-four", group="Mawar", kind="observation", role="researcher")
    (folder / "d.txt").write_text(unknown + "Rapat.\n", encoding="utf-8")  # line 3: group
    (tmp_path / "bad.yaml").write_text(BAD_CODEBOOK, encoding="utf-8")  # line 7: parent
    return folder


def test_check_lists_every_problem(bad_folder: Path) -> None:
    codebook = bad_folder.parent / "bad.yaml"
    result = run("check", bad_folder, "--codebook", codebook)
    assert_clean(result, 1)
    out = result.output
    assert f"{bad_folder / 'a.txt'}:12: unknown speaker label 'X'" in out
    assert f"{bad_folder / 'b.txt'}:3: unknown front-matter field 'grup'" in out
    assert f"{bad_folder / 'd.txt'}:3: group 'Mawar' is unknown" in out
    assert f"{codebook}:7: unknown parent code 'trust'" in out
    # an encoding problem is located by byte offset (README: "naming the file and byte offset")
    assert re.search(re.escape(str(bad_folder / "c.txt")) + r" \(byte \d+\): not valid UTF-8",
                     out)
    assert "5 problem(s) found" in out
    assert sum(line.startswith("error: ") for line in out.splitlines()) == 5


# --------------------------------------------------------------------------- other commands
def test_compare(project_path: Path) -> None:
    result = run("compare", "--project", project_path)
    assert_clean(result, 0)
    assert "Asoka vs Melati by group, unit: cases" in result.output
    for column in ("cases_a", "cases_b", "balance_a", "balance_b", "ci_low", "ci_high",
                   "p_value", "p_adjusted"):
        assert column in result.output
    summaries = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert [s.split()[1].rstrip(":") for s in summaries] == SIX_FACTORS
    assert all("mean case balance" in s for s in summaries)


def test_compare_by_codings(project_path: Path) -> None:
    result = run("compare", "--project", project_path, "--unit", "coding")
    assert_clean(result, 0)
    assert "Asoka vs Melati by group, unit: codings" in result.output
    for column in ("count_a", "count_b", "rate_a", "rate_b", "odds_ratio", "p_adjusted"):
        assert column in result.output
    summaries = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert [s.split()[1].rstrip(":") for s in summaries] == SIX_FACTORS
    bad = run("compare", "--project", project_path, "--unit", "word")
    assert_clean(bad, 2)


def test_compare_manual_only(project_path: Path) -> None:
    result = run("compare", "--project", project_path, "--origin", "manual")
    assert_clean(result, 0)
    assert "Asoka vs Melati by group" in result.output


def test_compare_unknown_group_is_a_clean_error(project_path: Path) -> None:
    result = run("compare", "--project", project_path, "-a", "Asoka", "-b", "Mawar")
    assert_clean(result, 1)
    assert "Mawar" in result.output


def test_chart_frequencies(project_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "charts" / "x.png"
    result = run("chart", "frequencies", "--project", project_path, "--out", out)
    assert_clean(result, 0)
    assert f"wrote {out}" in result.output
    assert out.read_bytes()[:8] == PNG


def test_chart_unknown_kind(project_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = run("chart", "piechart", "--project", project_path, "--out", out)
    assert result.exit_code not in (0, None)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2  # a usage error, refused before anything is read
    text = squash(result.output)
    assert ("'piechart' is not one of 'frequencies', 'valence', 'heatmap', 'cooccurrence', "
            "'stripe'") in text
    assert not out.exists()


def test_chart_help_lists_every_kind_and_each_draws(project_path: Path, tmp_path: Path) -> None:
    from uppks_qual.cli import ChartKind

    help_text = squash(run("chart", "--help").output)
    for kind in ChartKind:
        assert kind.value in help_text
        out = tmp_path / f"{kind.value}.png"
        result = run("chart", kind.value, "--project", project_path, "--out", out)
        assert_clean(result, 0)
        assert out.read_bytes()[:8] == PNG


def test_export_xlsx(project_path: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from uppks_qual.interop.tables import SHEETS

    out = tmp_path / "x.xlsx"
    result = run("export", "--project", project_path, "--out", out)
    assert_clean(result, 0)
    assert f"exported to {out}" in result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["about", *SHEETS]  # the data-honesty note comes first
    assert "ILLUSTRATIVE RECONSTRUCTION" in book["about"]["A2"].value


def test_export_qdpx(project_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.qdpx"
    result = run("export", "--project", project_path, "--out", out)
    assert_clean(result, 0)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "project.qde" in names
        qde = archive.read("project.qde").decode("utf-8")
    assert "urn:QDA-XML:project:1.0" in qde
    assert sum(n.startswith("sources/") for n in names) == 26


def test_export_folder(project_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run("export", "--project", project_path, "--out", out)
    assert_clean(result, 0)
    with Project.open(project_path) as proj:
        n_codings, n_docs = len(proj.evidence(kind="all")), len(proj.documents())
    assert len(pd.read_csv(out / "codings.csv")) == n_codings  # the evidence is exported
    assert len(pd.read_csv(out / "documents.csv")) == n_docs
    segments = pd.read_csv(out / "segments.csv")
    assert {"doc_id", "segment_id", "kind", "start", "end", "text"} <= set(segments.columns)


def test_autocode_keeps_manual_codings(project_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.uqp"
    with copy_project(project_path, copy) as proj:
        manual = without_ids(proj.codings(origin="manual"))
        auto = without_ids(proj.codings(origin="auto"))
    result = run("autocode", "--project", copy)
    assert_clean(result, 0)
    match = re.search(r"(\d+) automatic codings in 26 documents \((\d+) identical to manual "
                      r"codings skipped\)", result.output)
    assert match is not None, result.output
    with Project.open(copy) as proj:
        pd.testing.assert_frame_equal(without_ids(proj.codings(origin="manual")), manual)
        again = proj.codings(origin="auto")
    assert len(again) == int(match.group(1))
    # reproduce auto-coded (with the rules) before importing gold.csv; now the automatic
    # codings identical to a manual one (same document, span and code) are skipped
    key = ["doc_id", "start", "end", "code_id"]
    same = auto[key].merge(manual[key].drop_duplicates(), how="left", indicator=True)
    identical = (same["_merge"] == "both").to_numpy()
    assert int(match.group(2)) == identical.sum() > 0
    cols = [*key, "valence"]
    expected = auto[~identical][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(without_ids(again)[cols], expected)


def test_autocode_bad_unit(project_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.uqp"
    copy_project(project_path, copy).close()
    result = run("autocode", "--project", copy, "--unit", "word")
    assert result.exit_code not in (0, None)
    assert result.exit_code == 2
    assert "'word' is not one of 'match', 'sentence', 'turn'" in squash(result.output)


# --------------------------------------------------------------------------- agreement
@pytest.fixture(scope="module")
def two_coders(project_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agreement") / "two.uqp"
    with copy_project(project_path, path) as proj:
        proj.import_codings(BUDI, coder="budi")
    return path


@pytest.fixture(scope="module", params=["segment", "character"])
def agreement_run(request: pytest.FixtureRequest,
                  two_coders: Path) -> tuple[str, Result, pd.DataFrame]:
    unit = request.param
    result = run("agreement", "--coders", "ana", "--coders", "budi", "--scope", SAMPLE,
                 "--project", two_coders, "--unit", unit)
    with Project.open(two_coders) as proj:
        expected = proj.agreement(("ana", "budi"), unit=unit, scope=pd.read_csv(SAMPLE))
    return unit, result, expected


def test_agreement(agreement_run: tuple[str, Result, pd.DataFrame]) -> None:
    unit, result, expected = agreement_run
    assert_clean(result, 0)
    assert f"Agreement ana vs budi ({unit}, factor)" in result.output
    assert expected.to_string() in result.output
    assert set(SIX_FACTORS) <= set(expected["code"])
    overall = expected[expected["code"] == "overall"]
    assert len(overall) == 1
    assert 0.5 < overall["percent_agreement"].iloc[0] <= 1
    sample = pd.read_csv(SAMPLE)
    per_code = expected[expected["code"] != "overall"]
    if unit == "segment":  # every passage of the sample is a unit, for every factor
        assert (per_code["units"] == len(sample)).all()
    else:  # only the sample's characters are counted
        n_codes = per_code["code"].nunique()
        n_chars = (sample["end"] - sample["start"]).sum()  # the passages do not overlap
        counted = overall[["both", "only_1", "only_2", "neither"]].iloc[0].sum()
        assert counted == n_codes * n_chars


def test_agreement_needs_two_coders(two_coders: Path) -> None:
    result = run("agreement", "--coders", "ana", "--project", two_coders)
    assert result.exit_code not in (0, None)
    assert "give two coders" in squash(result.output)


def test_agreement_unknown_coder(two_coders: Path) -> None:
    result = run("agreement", "--coders", "ana", "--coders", "zoe", "--project", two_coders)
    assert_clean(result, 1)
    assert "no codings by coder(s) zoe" in result.output


def test_agreement_missing_scope_file(two_coders: Path, tmp_path: Path) -> None:
    scope = tmp_path / "missing.csv"
    result = run("agreement", "--coders", "ana", "--coders", "budi", "--project", two_coders,
                 "--scope", scope)
    assert_clean(result, 1)
    assert "missing.csv" in result.output


def test_agreement_unknown_unit_is_a_clean_error(two_coders: Path) -> None:
    result = run("agreement", "--coders", "ana", "--coders", "budi", "--project", two_coders,
                 "--unit", "word")
    assert_clean(result, 2)
    assert "'word' is not one of 'segment', 'character'" in squash(result.output)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("args", [
    ["compare"],
    ["chart", "frequencies"],
    ["export", "--out", "{tmp}/x.xlsx"],
    ["autocode"],
    ["agreement", "--coders", "ana", "--coders", "budi"],
], ids=lambda a: a[0])
def test_missing_project_file(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.uqp"
    argv = [a.format(tmp=tmp_path) for a in args]
    result = run(*argv, "--project", missing)
    assert_clean(result, 1)
    assert f"error: {missing}: no such project file" in result.output
    assert not missing.exists()


def test_installed_console_script_help() -> None:
    script = Path(sys.executable).with_name("uppks-qual")
    assert script.exists(), script
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    for command in ("check", "reproduce", "autocode", "compare", "chart", "export",
                    "agreement"):
        assert command in done.stdout
    assert "Traceback" not in done.stderr


def test_agreement_coders_as_the_issue_writes_them(two_coders: Path) -> None:
    # `uppks-qual agreement --coders ana budi` as well as `--coders ana --coders budi`
    result = run("agreement", "--coders", "ana", "budi", "--project", two_coders,
                 "--scope", SAMPLE)
    assert_clean(result, 0)
    assert "Agreement ana vs budi" in result.output


def test_autocode_with_corpus_never_replaces_a_project_silently(project_path: Path,
                                                                tmp_path: Path) -> None:
    target = tmp_path / "keep.uqp"
    shutil.copy(project_path, target)
    before = Project.open(target).codings(origin="manual")
    result = run("autocode", "--project", target, "--corpus", ROOT / "data/interviews",
                 "--unit", "word")
    assert_clean(result, 2)                      # a bad option is refused before anything
    result = run("autocode", "--project", target, "--corpus", ROOT / "data/interviews")
    assert_clean(result, 1)
    assert "--overwrite" in result.output
    after = Project.open(target).codings(origin="manual")
    pd.testing.assert_frame_equal(before, after)


def test_compare_prints_where_the_data_comes_from(project_path: Path) -> None:
    result = run("compare", "--project", project_path)
    assert_clean(result, 0)
    assert "About the data: ILLUSTRATIVE RECONSTRUCTION" in squash(result.output)


# --------------------------------------------------------------------------- one evidence path
def _cli_counts(output: str) -> dict[str, tuple[int, int]]:
    """``factor -> (count_a, count_b)`` from the table `uppks-qual compare` prints."""
    rows = re.findall(r"^(\w+)\s+(\d+)\s+(\d+)\s", output, flags=re.MULTILINE)
    return {f: (int(a), int(b)) for f, a, b in rows if f in SIX_FACTORS}


def test_cli_report_and_export_count_the_same_evidence(project_path: Path,
                                                       tmp_path: Path) -> None:
    from uppks_qual.report import write_results

    copy = tmp_path / "two-coders.uqp"
    with copy_project(project_path, copy) as proj:
        before = proj.evidence()
        assert proj.evidence_coders == ["ana", "auto"]  # set by the main job
        proj.import_codings(BUDI, coder="budi")         # a second coder, for agreement
        after = proj.evidence()
        pd.testing.assert_frame_equal(before, after)    # the evidence does not change
        expected = after.groupby(["factor", "group"], observed=False).size()
        results = write_results(proj, tmp_path / "out")
    cli = _cli_counts(run("compare", "--project", copy, "--unit", "coding").output)
    report = results.tables["coding_rates"].set_index("factor")[["count_a", "count_b"]]
    assert run("export", "--project", copy, "--out", tmp_path / "x.xlsx").exit_code == 0
    exported = pd.read_excel(tmp_path / "x.xlsx", sheet_name="codings")
    exported = exported[exported["factor"].isin(SIX_FACTORS)]
    export_counts = exported.groupby(["factor", "group"]).size()
    assert set(cli) == set(SIX_FACTORS)
    for factor in SIX_FACTORS:
        want = (int(expected[(factor, "Asoka")]), int(expected[(factor, "Melati")]))
        assert cli[factor] == want, factor
        assert tuple(report.loc[factor]) == want, factor
        assert (int(export_counts.get((factor, "Asoka"), 0)),
                int(export_counts.get((factor, "Melati"), 0))) == want, factor
    # a passage ana read is never counted twice: no automatic coding overlaps her passages
    read = after[after["coder"] == "ana"]
    auto = after[after["coder"] == "auto"]
    both = auto.merge(read[["doc_id", "start", "end"]], on="doc_id", suffixes=("", "_ana"))
    assert not ((both["start"] < both["end_ana"]) & (both["start_ana"] < both["end"])).any()


# --------------------------------------------------------------------------- a server project
def test_the_commands_take_a_postgresql_url(engine_url: str | Path, tmp_path: Path) -> None:
    """--project takes a PostgreSQL URL as it takes a file: create by auto-coding, then
    compare, history and undo on the same database (and a file, on the SQLite run)."""
    target = str(engine_url)
    corpus, codebook = str(ROOT / "data" / "interviews"), str(ROOT / "codebook.yaml")
    done = runner.invoke(app, ["autocode", "--project", target, "--corpus", corpus,
                               "--codebook", codebook])
    assert done.exit_code == 0, done.output
    assert "automatic codings" in done.output
    with Project.open(engine_url) as proj:
        coding = proj.code_quote("asoka-int-secretary", "notulen", "leadership.meetings",
                                 coder="rina", occurrence=2)
        assert len(proj.codings(coder="auto")) > 1000
    done = runner.invoke(app, ["compare", "--project", target])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["history", "--project", target, "--coder", "rina"])
    assert done.exit_code == 0 and "code" in done.output, done.output
    done = runner.invoke(app, ["undo", "--project", target, "--coder", "rina"])
    assert done.exit_code == 0, done.output
    with Project.open(engine_url) as proj:
        assert coding not in set(proj.codings()["coding_id"])
    done = runner.invoke(app, ["reproduce", "--project", target, "--out", str(tmp_path / "r")])
    if isinstance(engine_url, str):
        assert done.exit_code == 1 and "give a file path for --project" in done.output


@pytest.mark.parametrize("command", ["autocode", "compare", "export", "agreement", "history",
                                     "coders"])
def test_the_default_project_is_used_when_none_is_given(
        command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --project a command opens results/uppks.uqp of the working folder (the default
    goes through the --project parser too with typer 0.29; it was an internal error there)."""
    monkeypatch.chdir(tmp_path)
    result = run(command)
    assert_clean(result, 1)
    assert "results/uppks.uqp: no such project file" in squash(result.output)
    assert not (tmp_path / "results").exists()
