"""Integrity of the shipped manual codings in ``data/coding/``.

Three *sample* files list the passages (sentences) a coder read: ``sample.csv`` (the
evaluation sample, coded by ana in ``gold.csv`` and by budi in ``coder_budi.csv``),
``train_sample.csv`` (coded in ``train.csv``) and ``train_sample2.csv`` (coded in
``train2_asoka.csv`` and ``train2_melati.csv``, one file per group). A coding file has one row
per (passage, code); a row with an empty ``code_id`` marks a passage read and left uncoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest_project import ROOT, copy_project, real_codebook, real_corpus

from uppks_qual.errors import ImportProblem, QualError
from uppks_qual.project import Project
from uppks_qual.records import VALENCES

CODING = ROOT / "data" / "coding"
SAMPLES = ["sample", "train_sample", "train_sample2"]
SAMPLE_COLUMNS = ["passage_id", "doc_id", "segment_id", "start", "end", "speaker", "text"]
CODING_COLUMNS = ["passage_id", "doc_id", "start", "end", "code_id", "valence", "coder", "note"]
#: coding file -> (its sample file, the group whose passages it covers (None: all), coder)
CODED = {
    "gold": ("sample", None, "ana"),
    "coder_budi": ("sample", None, "budi"),
    "train": ("train_sample", None, "ana"),
    "train2_asoka": ("train_sample2", "Asoka", "ana"),
    "train2_melati": ("train_sample2", "Melati", "ana"),
}
SIX_FACTORS = {"leadership", "information_clarity", "leader_support", "officer_role",
               "capital_growth", "partnerships"}


def read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(CODING / f"{name}.csv", dtype=str, keep_default_na=False)
    for col in ("start", "end"):
        frame[col] = frame[col].astype("int64")
    return frame


def groups() -> dict[str, str]:
    return {d.doc_id: d.group for d in real_corpus()}


# --------------------------------------------------------------------------- sample files
@pytest.mark.parametrize("name", SAMPLES)
def test_sample_text_equals_document_text(name: str) -> None:
    corpus = real_corpus()
    sample = read(name)
    assert list(sample.columns) == SAMPLE_COLUMNS
    assert sample["passage_id"].is_unique
    bad = [(r.passage_id, r.doc_id) for r in sample.itertuples()
           if r.doc_id not in corpus or corpus[r.doc_id].text[r.start:r.end] != r.text]
    assert not bad, f"{name}.csv: text differs from the document at [start, end): {bad[:5]}"
    assert (sample["start"] < sample["end"]).all()


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_passages_are_corpus_sentences(name: str) -> None:
    segs = real_corpus().segments
    sample = read(name)
    merged = sample.merge(segs[["doc_id", "segment_id", "kind", "start", "end"]],
                          on=["doc_id", "segment_id"], how="left", suffixes=("", "_seg"))
    assert (merged["kind"] == "sentence").all()
    assert (merged["start"] == merged["start_seg"]).all()
    assert (merged["end"] == merged["end_seg"]).all()


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_covers_both_groups(name: str) -> None:
    sample = read(name)
    assert set(sample["doc_id"].map(groups())) == {"Asoka", "Melati"}


def overlapping(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    pairs = a.merge(b, on="doc_id", suffixes=("_a", "_b"))
    return pairs[(pairs["start_a"] < pairs["end_b"]) & (pairs["start_b"] < pairs["end_a"])]


@pytest.mark.parametrize("train", ["train_sample", "train_sample2"])
def test_evaluation_sample_and_training_samples_are_disjoint(train: str) -> None:
    clash = overlapping(read("sample"), read(train))
    assert clash.empty, clash[["doc_id", "passage_id_a", "passage_id_b"]].head()


def test_training_samples_are_disjoint() -> None:
    assert overlapping(read("train_sample"), read("train_sample2")).empty


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_passages_do_not_overlap_each_other(name: str) -> None:
    sample = read(name)
    pairs = overlapping(sample, sample)
    assert (pairs["passage_id_a"] == pairs["passage_id_b"]).all()


# --------------------------------------------------------------------------- coding files
@pytest.mark.parametrize("name", sorted(CODED))
def test_coding_file_covers_its_sample_with_the_same_spans(name: str) -> None:
    sample_name, group, _ = CODED[name]
    codings, sample = read(name), read(sample_name)
    assert list(codings.columns) == CODING_COLUMNS
    if group is not None:
        sample = sample[sample["doc_id"].map(groups()) == group]
    assert set(codings["passage_id"]) == set(sample["passage_id"])
    spans = sample[["passage_id", "doc_id", "start", "end"]]
    joined = codings.merge(spans, on="passage_id", how="left", suffixes=("", "_sample"))
    for col in ("doc_id", "start", "end"):
        wrong = joined[joined[col] != joined[f"{col}_sample"]]
        assert wrong.empty, f"{name}.csv: {col} differs from {sample_name}.csv: " \
                            f"{wrong['passage_id'].tolist()[:5]}"


@pytest.mark.parametrize("name", sorted(CODED))
def test_coding_file_codes_are_factor_codes_of_the_codebook(name: str) -> None:
    codebook = real_codebook()
    assert {c.code_id for c in codebook.factors()} == SIX_FACTORS
    coded = read(name).query("code_id != ''")
    unknown = sorted(set(coded["code_id"]) - set(codebook.ids))
    assert not unknown, f"{name}.csv: codes not in codebook.yaml: {unknown}"
    factors = {codebook[c].factor for c in coded["code_id"]}
    assert factors <= SIX_FACTORS
    assert {codebook[c].kind for c in coded["code_id"]} == {"factor"}


@pytest.mark.parametrize("name", sorted(CODED))
def test_coding_file_valences_and_coder(name: str) -> None:
    frame = read(name)
    coded, uncoded = frame[frame["code_id"] != ""], frame[frame["code_id"] == ""]
    assert set(coded["valence"]) <= set(VALENCES)
    assert (uncoded["valence"] == "").all()
    assert set(frame["coder"]) == {CODED[name][2]}


@pytest.mark.parametrize("name", sorted(CODED))
def test_coding_file_rows_are_consistent_per_passage(name: str) -> None:
    frame = read(name)
    assert not frame.duplicated(["passage_id", "code_id"]).any()
    per_passage = frame.groupby("passage_id")["code_id"].agg(
        empty=lambda s: int((s == "").sum()), coded=lambda s: int((s != "").sum()))
    # a passage is either left uncoded (one empty row) or has codes, never both
    assert ((per_passage["empty"] == 1) & (per_passage["coded"] == 0)
            | (per_passage["empty"] == 0) & (per_passage["coded"] >= 1)).all()


def test_gold_covers_six_factors_and_enough_passages() -> None:
    gold = read("gold")
    codebook = real_codebook()
    coded = gold[gold["code_id"] != ""]
    assert {codebook[c].factor for c in coded["code_id"]} == SIX_FACTORS
    assert gold["passage_id"].nunique() >= 150
    per_group = coded.assign(group=coded["doc_id"].map(groups())).groupby("group")
    assert per_group.size().min() > 0


def test_second_coder_read_the_same_passages_as_gold() -> None:
    gold, budi = read("gold"), read("coder_budi")
    g = gold.drop_duplicates("passage_id").set_index("passage_id")[["doc_id", "start", "end"]]
    b = budi.drop_duplicates("passage_id").set_index("passage_id")[["doc_id", "start", "end"]]
    pd.testing.assert_frame_equal(g.sort_index(), b.sort_index())


# --------------------------------------------------------------------------- import
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "real.uqp"
    Project.create(path, corpus=real_corpus(), codebook=real_codebook()).close()
    return path


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Iterator[Project]:
    with copy_project(template, tmp_path / "real.uqp") as proj:
        yield proj


def test_import_gold(project: Project) -> None:
    gold = read("gold")
    coded = gold[gold["code_id"] != ""]
    report = project.import_codings(CODING / "gold.csv", coder="ana")
    assert report == {"codings": len(coded), "already_present": 0,
                      "uncoded_passages": int((gold["code_id"] == "").sum())}
    assert report["uncoded_passages"] > 0
    stored = project.codings(coder="ana")
    assert set(stored["origin"]) == {"manual"}
    assert sorted(zip(stored["doc_id"], stored["start"], stored["end"], stored["code_id"],
                      stored["valence"].astype(str), strict=True)) == sorted(
        zip(coded["doc_id"], coded["start"], coded["end"], coded["code_id"], coded["valence"],
            strict=True))
    texts = {d.doc_id: d.text for d in real_corpus()}
    assert all(texts[r.doc_id][r.start:r.end] == r.text for r in stored.itertuples())


def test_import_second_coder_alongside_gold(project: Project) -> None:
    project.import_codings(CODING / "gold.csv", coder="ana")
    report = project.import_codings(CODING / "coder_budi.csv")  # coder from the file
    assert report["codings"] == int((read("coder_budi")["code_id"] != "").sum())
    assert set(project.codings(origin="manual")["coder"]) == {"ana", "budi"}


BAD_ROWS = """\
doc_id,start,end,code_id,valence,text
asoka-int-chair,{s},{e},leadership,positive,"{t}"
nope-doc,0,5,leadership,positive,
asoka-int-chair,{s},{e},trust,positive,
asoka-int-chair,{s},{big},leadership,positive,
asoka-int-chair,{s},{e},leadership,happy,
asoka-int-chair,{s},{e},leadership,neutral,Not the text
asoka-int-chair,{s},{e},,,
"""


def test_import_with_bad_rows_lists_every_row_and_changes_nothing(project: Project,
                                                                 tmp_path: Path) -> None:
    text = project.document("asoka-int-chair").text
    s, e = 20, 40
    csv = tmp_path / "bad.csv"
    csv.write_text(BAD_ROWS.format(s=s, e=e, t=text[s:e].replace('"', '""'),
                                   big=len(text) + 10), encoding="utf-8")
    before = project.dump()
    with pytest.raises(ImportProblem) as info:
        project.import_codings(csv, coder="ana")
    exc = info.value
    assert isinstance(exc, QualError) and isinstance(exc, ValueError)
    message = str(exc)
    assert "5 bad row(s); nothing was imported" in message
    assert len(exc.problems) == 5
    expected = {3: "nope-doc", 4: "trust", 5: str(len(text) + 10), 6: "happy", 7: "text"}
    for line, word in expected.items():
        hits = [p for p in exc.problems if p.startswith(f"{csv}:{line}: ")]
        assert len(hits) == 1, (line, exc.problems)
        assert word in hits[0], hits[0]
        assert f"{csv}:{line}: " in message
    assert not any(p.startswith(f"{csv}:2:") or p.startswith(f"{csv}:8:")
                   for p in exc.problems)
    assert project.dump() == before
    assert project.codings().empty


def test_reimport_is_counted_and_conflicts_refused(tmp_path: Path) -> None:
    import uppks_qual as uq
    from uppks_qual.errors import ImportProblem

    project = uq.Project.create(tmp_path / "p.uqp", corpus=uq.load_corpus(ROOT / "data/interviews"),
                                codebook=uq.load_codebook(ROOT / "codebook.yaml"))
    gold = ROOT / "data" / "coding" / "gold.csv"
    first = project.import_codings(gold, coder="ana")
    again = project.import_codings(gold, coder="ana")
    assert (first["codings"], first["already_present"]) == (172, 0)
    assert (again["codings"], again["already_present"]) == (0, 172)
    changed = pd.read_csv(gold, dtype=str, keep_default_na=False)
    changed.loc[changed["valence"] == "positive", "valence"] = "negative"
    changed.to_csv(tmp_path / "changed.csv", index=False)
    before = project.dump()
    with pytest.raises(ImportProblem, match=r"differ from the same codings"):
        project.import_codings(tmp_path / "changed.csv", coder="ana")
    assert project.dump() == before


def test_a_coded_row_without_valence_imports(project: Project, tmp_path: Path) -> None:
    """An empty valence cell is no valence (it was read as NaN and refused)."""
    gold = read("gold")
    rows = gold[gold["code_id"] != ""].head(3).copy()
    rows["valence"] = ["", "positive", ""]
    path = tmp_path / "no_valence.csv"
    rows.to_csv(path, index=False)
    report = project.import_codings(path, coder="dewi")
    assert report["codings"] == 3
    stored = project.codings(coder="dewi")
    assert sorted(stored["valence"].astype(str)) == ["neutral", "neutral", "positive"]
