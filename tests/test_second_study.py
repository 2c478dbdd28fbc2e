"""The main job on a study that is not the bundled one (an invented second study under
``tests/data/second_study``: three villages' coffee cooperatives, a five-code codebook, .txt,
.md, a semicolon .csv and a .docx made here), and the package free of the bundled study.

Nothing of the bundled study (its groups, villages, coders, claims or provenance note) may
reach another study's results, and nothing of it may live in ``uppks_qual/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from uppks_qual.cli import app
from uppks_qual.project import Project

ROOT = Path(__file__).resolve().parents[1]
SECOND = ROOT / "tests" / "data" / "second_study"
#: What belongs to the bundled study only: group, village and coder names, its claims and note.
BUNDLED = ("Asoka", "Melati", "Durian Daun", "Padang Olo", "ana", "budi", "UPPKS",
           "Sungai Limau", "ILLUSTRATIVE RECONSTRUCTION", "six factors", "The study found",
           "agrees with the study")
runner = CliRunner()


def run(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def _docx(path: Path) -> None:
    """A .docx interview: front matter paragraphs, then turns with bold speaker labels."""
    import docx

    document = docx.Document()
    for line in ("---", "id: suka-int-bendahara", "group: Sukamaju", "village: Desa Sukamaju",
                 "source_type: interview", "informant_role: treasurer", "informant: Bu Lilis",
                 "date: 2024-05-20", "speakers: {T: Pewawancara, J: Bendahara}", "---"):
        document.add_paragraph(line)
    for label, text in (("T", "Bagaimana simpanan anggota?"),
                        ("J", "Simpanan rutin, pinjaman lunas, buku kas rapi.")):
        paragraph = document.add_paragraph()
        paragraph.add_run(label).bold = True
        paragraph.add_run(f": {text}")
    document.save(str(path))


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("second") / "study"
    shutil.copytree(SECOND, folder)
    _docx(folder / "corpus" / "suka-int-bendahara.docx")
    return folder


@pytest.fixture(scope="module")
def reproduced(study: Path) -> tuple[Result, Path, Path]:
    out, project = study / "results", study / "kopi.uqp"
    result = run("reproduce", "--corpus", study / "corpus", "--codebook",
                 study / "codebook_kopi.yaml", "--project", project, "--out", out)
    return result, project, out


def test_the_main_job_runs_on_another_study(reproduced: tuple[Result, Path, Path]) -> None:
    result, project, out = reproduced
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "no training codings" in text and "using the rules alone" in text
    assert "imported 5 manual codings of rina" in text
    assert "About the data: INVENTED TEST DATA" in text
    with Project.open(project) as proj:
        assert len(proj.documents()) == 8  # 4 .txt, 1 .md, 1 .docx, 2 documents of the .csv
        assert proj.evidence_coders == ["rina", "auto"]
        assert proj.manifest.title == "Coffee cooperatives in three villages"
    for name in ("frequencies", "framework_matrix", "comparison", "group_differences",
                 "valence_balance", "cooccurrence", "documents"):
        assert len(pd.read_csv(out / f"{name}.csv")) > 0, name
    assert not (out / "hypothesis.csv").exists()  # this study states no hypothesis


def test_more_than_two_groups_are_compared_pairwise(reproduced: tuple[Result, Path, Path]) -> None:
    _, _, out = reproduced
    pairs = pd.read_csv(out / "comparison.csv")
    assert {tuple(p) for p in pairs[["group_a", "group_b"]].drop_duplicates().to_numpy()} == {
        ("Sukamaju", "Karangsari"), ("Sukamaju", "Cibodas"), ("Karangsari", "Cibodas")}
    tested = pairs["p_value"].notna()  # nan: a pair without valenced cases of a factor
    assert tested.any()
    assert (pairs.loc[tested, "p_adjusted"] >= pairs.loc[tested, "p_value"] - 1e-12).all()
    rates = pd.read_csv(out / "coding_rates.csv")  # the coding-level table, labelled as such
    assert {"count_a", "count_b", "odds_ratio"} <= set(rates.columns)
    overview = pd.read_csv(out / "group_differences.csv")
    assert len(overview) >= 1


def test_the_report_is_this_study_s_and_no_other(reproduced: tuple[Result, Path, Path]) -> None:
    _, _, out = reproduced
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Coffee cooperatives in three villages: coded comparison of 5 factors" in page
    assert "INVENTED TEST DATA" in page
    assert "Sukamaju, Karangsari, Cibodas" in page
    assert "hypothesis" not in page.lower()
    for name in BUNDLED:
        assert not re.search(rf"\b{re.escape(name)}\b", page), name
    # a document without a group is kept, and left out of the group comparison
    docs = pd.read_csv(out / "documents.csv", keep_default_na=False)
    assert "district-doc" in set(docs["doc_id"])
    assert set(pd.read_csv(out / "frequencies.csv")["group"]) == {"Sukamaju", "Karangsari",
                                                                   "Cibodas"}


def test_a_hypothesis_in_the_manifest_is_checked(study: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "with-hypothesis.yaml"
    text = (study / "corpus" / "corpus.yaml").read_text(encoding="utf-8")
    manifest.write_text(text.replace("../coding/rina.csv", str(study / "coding" / "rina.csv"))
                        + "hypothesis:\n  statement: Sukamaju's cooperative works better.\n"
                          "  better: Sukamaju\n  worse: Karangsari\n  factors: [pengurus, harga]\n",
                        encoding="utf-8")
    out = tmp_path / "out"
    result = run("reproduce", "--corpus", study / "corpus", "--codebook",
                 study / "codebook_kopi.yaml", "--manifest", manifest, "--project",
                 tmp_path / "h.uqp", "--out", out, "--method", "rules")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "hypothesis.csv")
    assert table["factor"].tolist() == ["pengurus", "harga"]
    assert {"agrees_with_hypothesis", "supports_hypothesis"} <= set(table.columns)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Sukamaju&#39;s cooperative works better." in page
    assert "Hypothesis: better in Sukamaju (a) than in Karangsari (b)" in " ".join(
        result.output.split())


def test_training_that_does_not_fit_falls_back_to_the_rules(study: Path, tmp_path: Path) -> None:
    result = run("reproduce", "--corpus", study / "corpus", "--codebook",
                 study / "codebook_kopi.yaml", "--training", ROOT / "data" / "coding",
                 "--project", tmp_path / "t.uqp", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "do not fit this corpus" in result.output and "auto-coded (rules)" in result.output


def test_check_shows_this_study_s_note_only(study: Path) -> None:
    result = run("check", study / "corpus", "--codebook", study / "codebook_kopi.yaml")
    assert result.exit_code == 0, result.output
    assert "INVENTED TEST DATA" in result.output
    assert "(no group)" in result.output
    assert "illustrative reconstruction" not in result.output.lower()


def test_compare_and_attributes_from_the_command_line(reproduced: tuple[Result, Path, Path],
                                                      tmp_path: Path) -> None:
    _, project, _ = reproduced
    copy = tmp_path / "copy.uqp"
    shutil.copy(project, copy)
    three = run("compare", "--project", copy)
    assert three.exit_code == 0, three.output
    assert "Sukamaju vs Karangsari vs Cibodas by group" in three.output
    two = run("compare", "--project", copy, "-a", "Sukamaju", "-b", "Cibodas")
    assert two.exit_code == 0 and "Sukamaju vs Cibodas by group" in two.output
    by_attribute = run("compare", "--project", copy, "--by", "district")
    assert by_attribute.exit_code == 0, by_attribute.output
    assert "Bandung vs Garut by district" in by_attribute.output
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("doc_id;altitude_band\nsuka-int-ketua;high\nkarang-int-ketua;low\n"
                     "suka-int-petani;high\n", encoding="utf-8")
    done = run("attributes", "--project", copy, "--csv", attrs)
    assert done.exit_code == 0, done.output
    assert "set 1 column(s) on 3 document(s)" in done.output
    banded = run("compare", "--project", copy, "--by", "altitude_band")
    assert banded.exit_code == 0 and "high vs low by altitude_band" in banded.output


def test_import_codings_from_the_command_line(reproduced: tuple[Result, Path, Path],
                                              tmp_path: Path) -> None:
    _, project, _ = reproduced
    copy = tmp_path / "copy.uqp"
    shutil.copy(project, copy)
    codings = tmp_path / "tono.csv"
    codings.write_text("doc_id,code_id,quote,valence\nkarang-int-ketua,kredit,"
                       "Pinjaman banyak yang macet,negative\n", encoding="utf-8")
    done = run("import-codings", codings, "--coder", "tono", "--project", copy)
    assert done.exit_code == 0, done.output
    assert "imported 1 new codings" in done.output
    bad = tmp_path / "bad.csv"
    bad.write_text("doc_id,code_id,quote\nnope,kredit,x\n", encoding="utf-8")
    refused = run("import-codings", bad, "--coder", "tono", "--project", copy)
    assert refused.exit_code == 1 and "bad.csv:2" in refused.output
    assert "Traceback" not in refused.output


# --------------------------------------------------------------------------- the package
def test_no_study_literal_lives_in_the_package() -> None:
    offenders = []
    for path in sorted((ROOT / "uppks_qual").rglob("*")):
        if path.suffix not in (".py", ".j2", ".css", ".yaml", ".json") or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in BUNDLED[:8]:
                if re.search(rf"\b{re.escape(name)}\b", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {name}")
    assert not offenders, "\n".join(offenders)


# --------------------------------------------------------------------------- a foreign project
def _qdpx(folder: Path, target: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(target, "w") as archive:
        archive.write(folder / "project.qde", "project.qde")
        for source in sorted((folder / "sources").iterdir()):
            archive.write(source, f"sources/{source.name}")
    return target


def test_a_foreign_project_can_be_given_groups_and_compared(tmp_path: Path) -> None:
    import uppks_qual as uq

    archive = _qdpx(ROOT / "tests" / "data" / "refi" / "unnamed", tmp_path / "other.qdpx")
    with pytest.warns(uq.interop.RefiWarning):
        project = uq.Project.import_qdpx(archive, tmp_path / "other.uqp")
    docs = project.documents().set_index("doc_id")
    assert sorted(docs.index) == ["admin-1", "board_2017"]  # named by their files, not GUIDs
    assert docs.loc["board_2017", "refi_guid"] == "5d0a6c1e-8b2f-4c3d-9e4f-0a1b2c3d4e01"
    attrs = tmp_path / "units.csv"
    attrs.write_text("doc_id,unit,title\nboard_2017,board,Board 2017\nadmin-1,admin,Admin 1\n",
                     encoding="utf-8")
    project.import_attributes(attrs)
    docs = project.documents().set_index("doc_id")
    assert docs.loc["board_2017", "unit"] == "board" and docs.loc["admin-1", "title"] == "Admin 1"
    evidence = project.evidence(kind="all")
    assert set(evidence["unit"]) == {"board", "admin"}
    table = uq.compare_groups(evidence, "board", "admin", by="unit", min_count=0, unit="coding")
    assert table[["count_a", "count_b"]].sum().tolist() == [1, 1]
    assert set(uq.code_frequencies(evidence, by="unit")["unit"]) == {"board", "admin"}
    project.close()
    result = run("compare", "--project", tmp_path / "other.uqp", "--by", "unit")
    assert result.exit_code == 0, result.output
    assert "admin vs board by unit" in result.output
