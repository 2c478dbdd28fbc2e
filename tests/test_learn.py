"""Tests for :mod:`uppks_qual.learn`: what the learned auto-coder of the main job codes.

The model decides only the six factors; the rule coder's codings of the other top-level codes
(structural and rival explanations) pass through unchanged, and ``other`` (no cues) is never
applied automatically. One project of the bundled corpus is coded per module, as
``uppks-qual reproduce`` codes it (``method="learned"`` with the training passages).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest_project import ROOT, real_codebook, real_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from uppks_qual import learn
from uppks_qual.errors import ImportProblem, ParameterError
from uppks_qual.learn import training_files
from uppks_qual.masking import Masker
from uppks_qual.project import Project
from uppks_qual.records import Document

RIVALS = {f"rival_explanations.{x}" for x in ("crisis_1998", "debt_cancellation_rumour",
                                               "joint_liability", "remittances")}
KEY = ["doc_id", "start", "end", "code_id", "valence"]


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The bundled corpus and codebook, auto-coded as the main job does (learned, then the
    rules alone as a second automatic coder ``rules`` to compare with)."""
    path = tmp_path_factory.mktemp("learn") / "p.uqp"
    proj = Project.create(path, corpus=real_corpus(), codebook=real_codebook())
    proj.autocode(method="learned", training=training_files(ROOT / "data" / "coding"))
    proj.autocode(method="rules", coder="rules")
    yield proj
    proj.close()


def _non_factor(frame: pd.DataFrame, codebook) -> pd.DataFrame:
    keep = frame["code_id"].map(lambda c: codebook[c].kind != "factor")
    return frame.loc[keep, KEY].astype({"valence": str}).sort_values(KEY).reset_index(drop=True)


def test_the_main_job_auto_applies_rival_and_structural_codes(learned: Project) -> None:
    evidence = learned.evidence(coders=["auto"], kind="all")
    kinds = {learned.codebook[c].kind for c in evidence["code_id"]}
    assert kinds == {"factor", "structural", "rival"}  # never "other": it has no cues
    rivals = evidence[evidence["factor"] == "rival_explanations"]
    assert set(rivals["code_id"]) == RIVALS
    for code_id in RIVALS - {"rival_explanations.joint_liability"}:  # rivals cut both ways
        assert set(rivals.loc[rivals["code_id"] == code_id, "group"]) == {"Asoka", "Melati"}
    assert set(rivals["kind"]) <= {"turn", "paragraph"}  # no researcher's notes or questions
    factors = learned.evidence(coders=["auto"])  # the comparison's subject is unchanged
    assert set(factors["factor"]) == {c.code_id for c in learned.codebook.factors()}
    version = learned.codebook.version
    assert version is not None
    assert set(learned.codings(coder="auto")["codebook_version"]) == {version}


def test_learned_codings_of_non_factor_codes_are_the_rules_codings(learned: Project) -> None:
    cb = learned.codebook
    auto, rules = learned.codings(coder="auto"), learned.codings(coder="rules")
    pd.testing.assert_frame_equal(_non_factor(auto, cb), _non_factor(rules, cb))
    assert len(_non_factor(auto, cb)) > 0


def test_interviewer_turns_are_not_auto_coded(learned: Project) -> None:
    auto = learned.codings(coder="auto")
    assert len(auto) and not (auto["speaker"] == "P").any()


# --------------------------------------------------------------------------- the estimator
#: A new interview written for this test: it shares no document (and no name) with training.
NEW_INTERVIEW = """P: Bagaimana pinjaman kelompok Ibu sekarang?

I: Pinjaman putaran kedua macet, banyak anggota tidak membayar angsuran. Modal kelompok tidak \
bertambah lagi sejak tahun lalu.

P: Apakah petugas KB pernah datang?

I: Petugas PLKB datang sebulan sekali, beliau memeriksa buku kas dan menjelaskan cara mengisi \
laporan.

P: Bagaimana dengan ketua?

I: Ketua kami rajin memimpin rapat setiap bulan dan semua keputusan dicatat. Cuaca di kampung \
kami sering hujan."""


@pytest.fixture(scope="module")
def coded_passages(learned: Project) -> pd.DataFrame:
    """The training passages as the learned coder sees them (from the project's segments and
    its rule codings)."""
    rules = learned.codings(coder="rules")[["doc_id", "start", "end", "code_id", "factor",
                                            "valence"]]
    factors = [c.code_id for c in learned.codebook.factors()]
    table = learn.sentence_table(learned.segments(), rules.astype({"factor": str}), factors)
    passages = learned.training_passages(training_files(ROOT / "data" / "coding"))
    return learn.labelled_passages(table, passages, learned.codebook)


@pytest.fixture(scope="module")
def suggester(learned: Project, coded_passages: pd.DataFrame) -> learn.CodeSuggester:
    return learn.CodeSuggester(codebook=learned.codebook, mask=learned.masker()).fit(
        coded_passages)


def test_the_suggester_keeps_the_scikit_learn_contract(learned: Project) -> None:
    model = learn.CodeSuggester(codebook=learned.codebook, C=2.0, context_weight=0.25)
    params = model.get_params()
    assert params["C"] == 2.0 and params["context_weight"] == 0.25
    assert {"factors", "threshold", "rules_weight", "mask", "skip_speakers"} <= set(params)
    copy = clone(model)
    assert copy is not model and copy.get_params()["C"] == 2.0
    assert copy.set_params(C=4.0) is copy and copy.C == 4.0 and model.C == 2.0
    assert not hasattr(copy, "presence_")  # __init__ stores hyper-parameters only
    with pytest.raises(NotFittedError):
        copy.predict(["Ketua rajin."])
    with pytest.raises(ParameterError, match="threshold"):
        learn.CodeSuggester(threshold=1.5).fit(pd.DataFrame({"text": ["a"], "codes": [{}]}))


def test_fit_returns_a_fitted_model_of_the_codebook_factors(
        suggester: learn.CodeSuggester, coded_passages: pd.DataFrame, learned: Project) -> None:
    assert suggester.factors_ == tuple(c.code_id for c in learned.codebook.factors())
    assert suggester.summary_["passages"] == len(coded_passages) == 1853
    assert len(suggester.summary_["documents"]) == 26
    proba = suggester.predict_proba(coded_passages.head(5))
    assert proba.shape == (5, len(suggester.factors_)) and ((proba >= 0) & (proba <= 1)).all()


def test_it_codes_a_new_text_that_shares_no_document_with_training(
        suggester: learn.CodeSuggester) -> None:
    got = suggester.predict(NEW_INTERVIEW)
    assert list(got.columns) == list(learn.PREDICTION_COLUMNS)
    assert set(got["doc_id"]) == {"text-1"}
    assert not set(got["doc_id"]) & set(suggester.summary_["documents"])
    found = {(t.split()[0], f, v) for t, f, v in zip(got["text"], got["factor"], got["valence"],
                                                      strict=True)}
    assert ("Pinjaman", "capital_growth", "negative") in found
    assert ("Petugas", "officer_role", "positive") in found
    assert ("Ketua", "leadership", "positive") in found
    assert not any(t.startswith(("Cuaca", "Bagaimana", "Apakah")) for t in got["text"])
    for row in got.itertuples():  # offsets point into the text
        assert NEW_INTERVIEW[row.start:row.end] == row.text
    passages = suggester.passages(NEW_INTERVIEW)
    assert (passages["speaker"] == "I").all() and passages["question"].str.endswith("?").all()


def test_it_codes_documents_and_plain_paragraphs(suggester: learn.CodeSuggester) -> None:
    doc = Document("baru", NEW_INTERVIEW, "", "", "interview", "chair", "", "unknown")
    assert set(suggester.predict([doc])["doc_id"]) == {"baru"}
    abstract = ("Kelompok ini dibentuk tahun 1997. Pinjaman modal bergulir lancar dan tabungan "
                "anggota bertambah.")
    got = suggester.predict([abstract])
    assert ("capital_growth", "positive") in set(zip(got["factor"], got["valence"], strict=True))
    assert suggester.predict([]).empty and suggester.predict_proba([]).shape == (0, 6)


def _story(group: str, village: str, person: str) -> str:
    return (f"P: Bagaimana kelompok {group} di {village}?\n\n"
            f"I: Kelompok {group} dipimpin Ibu {person}. {person} rajin memimpin rapat di "
            f"{village} dan ketua {group} mencatat semua keputusan. Pinjaman {group} lancar, "
            f"modal bertambah, kata {person}.")


def test_renaming_groups_places_and_people_does_not_change_the_prediction(
        learned: Project, coded_passages: pd.DataFrame) -> None:
    base = learned.masker()
    masker = Masker(groups=(*base.groups, "Kenanga"), places=(*base.places, "Bukit Sari"),
                    people=(*base.people, "Wartini", "Sulastri"))
    model = learn.CodeSuggester(codebook=learned.codebook, mask=masker).fit(coded_passages)
    one = Document("a", _story("Asoka", "Durian Daun", "Wartini"), "Asoka", "Durian Daun",
                   "interview", "member", "Ibu Wartini", "unknown")
    two = Document("a", _story("Kenanga", "Bukit Sari", "Sulastri"), "Kenanga", "Bukit Sari",
                   "interview", "member", "Ibu Sulastri", "unknown")
    np.testing.assert_array_equal(model.predict_proba([one]), model.predict_proba([two]))
    cols = ["factor", "valence", "probability"]
    pd.testing.assert_frame_equal(model.predict([one])[cols], model.predict([two])[cols])
    seen = learn.PassageText(mask=masker).transform(model.passages([one]))
    assert not seen["text"].str.contains("asoka|wartini|durian", case=False).any()
    assert seen["text"].str.contains("_group_").any()
    assert seen["text"].str.contains("_person_").any()


def test_the_study_masker_comes_from_the_manifest(learned: Project) -> None:
    masker = learned.masker()
    assert {"asoka", "melati", "durian daun", "padang olo"} <= set(masker.terms)
    for place in learned.manifest.mask_places:  # the manifest's `mask:` key
        assert masker.terms[place.casefold()] == "place"
    assert masker.terms["ratna dewi"] == "person"  # a codebook actor
    assert masker.mask("Saya ke Pariaman dan Padang.") == "Saya ke TEMPAT dan TEMPAT."


# --------------------------------------------------------------------------- persistence
def test_a_model_round_trips_through_bytes_and_the_project(
        suggester: learn.CodeSuggester, learned: Project, tmp_path: Path) -> None:
    again = learn.CodeSuggester.from_bytes(suggester.to_bytes())
    np.testing.assert_array_equal(again.predict_proba(NEW_INTERVIEW),
                                  suggester.predict_proba(NEW_INTERVIEW))
    saved = learned.model()  # the fixture's autocode(method="learned") saved its model
    assert isinstance(saved, learn.CodeSuggester)
    assert saved.summary_["passages"] == 1853
    assert saved.summary_["codebook_version"] == learned.codebook.version
    path = tmp_path / "copy.uqp"
    copy = Project.create(path, codebook=learned.codebook)
    copy.set_model(suggester)
    copy.close()
    with Project.open(path) as reopened:
        loaded = reopened.model()
        assert loaded is not None
        np.testing.assert_array_equal(loaded.predict_proba(NEW_INTERVIEW),
                                      suggester.predict_proba(NEW_INTERVIEW))
        reopened.set_model(None)
        assert reopened.model() is None
    with pytest.raises(ImportProblem):
        learn.CodeSuggester.from_bytes(b"not a model")


#: Where every class of the learned coder lived before learn.py became a package: models
#: pickled then (saved in project files) name their classes ``uppks_qual.learn.<name>``.
OLD_HOME = "uppks_qual.learn"


@pytest.mark.parametrize("second", ["negative", "positive"])
def test_a_model_saved_before_the_package_split_still_loads(
        second: str, monkeypatch: pytest.MonkeyPatch) -> None:
    train = pd.DataFrame({"text": [
        "Ketua rajin memimpin rapat.", "Rapat sering batal, ketua jarang datang.",
        "Modal kelompok bertambah tiap putaran.", "Modal macet, angsuran tidak dibayar.",
        "Cuaca hari itu panas."],
        "codes": [{"leadership": "positive"}, {"leadership": second},
                  {"capital": "positive"}, {"capital": second}, {}]})
    model = learn.CodeSuggester(min_df=1).fit(train)  # one valence: a _Constant inside
    classes = [v for v in vars(learn).values()
               if isinstance(v, type) and v.__module__.startswith(OLD_HOME + ".")]
    assert {learn.CodeSuggester, learn.PassageText, learn._Vectorizer, learn._Constant} \
        <= set(classes)
    with monkeypatch.context() as old:  # pickle as the single module learn.py did
        for cls in classes:
            old.setattr(cls, "__module__", OLD_HOME)
        data = model.to_bytes()
    assert b"uppks_qual.learn." not in data  # no submodule is named: the old layout
    assert all(name in data for name in (b"CodeSuggester", b"PassageText", b"_Vectorizer"))
    assert (b"_Constant" in data) == (second == "positive")
    loaded = learn.CodeSuggester.from_bytes(data)
    assert type(loaded) is learn.CodeSuggester
    texts = ["Ketua kami rajin memimpin rapat.", "Modal macet lagi, angsuran tidak dibayar."]
    pd.testing.assert_frame_equal(loaded.predict(texts), model.predict(texts), check_exact=True)


def test_the_package_keeps_one_cache_of_each_kind() -> None:
    from uppks_qual.learn import features

    for name in ("_LEMMAS", "_TYPES", "_TYPES_VOCAB", "_MASKED"):
        assert getattr(learn, name) is getattr(features, name)


def test_learned_without_training_uses_the_saved_model(learned: Project) -> None:
    with pytest.warns(UserWarning, match="trained on passages of 26 of these documents"):
        counts = learned.autocode(method="learned", coder="from_saved")
    assert counts["model"] == "saved" and counts["codings"] > 0


def test_learned_without_training_learns_from_the_project_codings(tmp_path: Path) -> None:
    with Project.create(tmp_path / "empty.uqp", codebook=real_codebook()) as empty, \
            pytest.raises(ImportProblem, match="needs manual codings"):
        empty.autocode(method="learned")
    with Project.create(tmp_path / "p.uqp", corpus=real_corpus(),
                        codebook=real_codebook()) as proj:
        proj.import_codings(ROOT / "data" / "coding" / "gold.csv", coder="ana")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no saved model is used: nothing to warn about
            counts = proj.autocode(method="learned")
        assert counts["model"] == "trained on 182 passages"  # ana's, coded or read
        model = proj.model()
        assert model is not None and model.summary_["passages"] == 182
        assert model.summary_["coded_passages"] < 182  # read and left uncoded: negatives


# --------------------------------------------------------------------------- cross-fitting
def test_cross_fitting_codes_each_document_with_a_model_that_never_saw_it(
        learned: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    trained: dict[int, set[str]] = {}
    coded: dict[int, set[str]] = {}
    fit, predict = learn.CodeSuggester.fit, learn.CodeSuggester.predict

    def spy_fit(self, X, y=None):
        trained[id(self)] = set(X["doc_id"])
        return fit(self, X, y)

    def spy_predict(self, X):
        out = predict(self, X)
        coded.setdefault(id(self), set()).update(out["doc_id"])
        return out

    monkeypatch.setattr(learn.CodeSuggester, "fit", spy_fit)
    monkeypatch.setattr(learn.CodeSuggester, "predict", spy_predict)
    counts = learned.autocode(method="learned", coder="crossfit", cross_fit=True,
                              training=training_files(ROOT / "data" / "coding"))
    assert counts["model"] == "cross-fitted, 5 folds"
    folds = json.loads(learned.get_meta("autocode_folds"))
    assert sorted(folds) == sorted(learned.documents()["doc_id"]) and set(folds.values()) == \
        set(range(5))
    assert len(coded) == 5  # five fold models coded; the sixth (saved) model coded nothing
    every = set()
    for model, docs in coded.items():
        assert docs and not docs & trained[model], "a model coded a document it was trained on"
        assert len({folds[d] for d in docs}) == 1  # one fold per model
        every |= docs
    auto = learned.codings(coder="crossfit")
    factors = [c.code_id for c in learned.codebook.factors()]
    assert set(auto.loc[auto["factor"].isin(factors), "doc_id"]) <= every
    assert learned.model().summary_["passages"] == 1853  # the saved model: all passages


def test_the_main_job_cross_fits_by_default(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    from uppks_qual import pipeline

    calls = []

    def spy(self, **kwargs):
        calls.append(kwargs)
        return {"documents": 26, "codings": 1, "skipped_manual": 0,
                "model": "cross-fitted, 5 folds" if kwargs.get("cross_fit") else "rules"}

    monkeypatch.setattr(Project, "autocode", spy)
    monkeypatch.setattr(pipeline, "write_results", lambda *a, **k: None)
    lines: list[str] = []
    run = pipeline.run_study(ROOT / "data" / "interviews", ROOT / "codebook.yaml",
                             tmp_path / "p.uqp", tmp_path / "out", say=lines.append)
    run.project.close()
    assert calls[0]["method"] == "learned" and calls[0]["cross_fit"] is True
    line = next(x for x in lines if x.startswith("auto-coded"))
    assert "cross-fitted" in line and "never" not in line and "other documents" in line
    assert run.model == "cross-fitted, 5 folds"


def test_the_manifest_mask_key_is_read_and_checked(tmp_path: Path) -> None:
    from uppks_qual.errors import CorpusError
    from uppks_qual.manifest import Manifest, read_manifest

    path = tmp_path / "corpus.yaml"
    path.write_text("groups: {North: Kampung Utara}\nmask:\n  people: [Pak Harun]\n"
                    "  places: [Bandung]\n", encoding="utf-8")
    manifest = read_manifest(path)
    assert manifest.mask_people == ("Pak Harun",) and manifest.mask_places == ("Bandung",)
    assert Manifest.from_json(manifest.to_json()) == manifest
    path.write_text("mask:\n  towns: [Bandung]\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"corpus\.yaml:2: unknown key 'towns' in mask"):
        read_manifest(path)


_TOKEN = st.text(alphabet="ab\u00e9-.\u00a0\u2003\x1c\t\n ", min_size=0, max_size=6)


@settings(max_examples=150, deadline=None)
@given(train=st.lists(st.lists(_TOKEN, max_size=8).map(" ".join), min_size=1, max_size=12),
       test=st.lists(st.lists(_TOKEN, max_size=8).map(" ".join), min_size=1, max_size=12),
       ngrams=st.sampled_from([(1, 1), (1, 2)]), binary=st.booleans(),
       min_df=st.integers(1, 2))
def test_the_array_counts_equal_scikit_learns(train: list[str], test: list[str],
                                              ngrams: tuple[int, int], binary: bool,
                                              min_df: int) -> None:
    """The fast path of the TF-IDF blocks builds exactly the matrix scikit-learn's own
    ``transform`` builds (entries, order and types), on whitespace-rich texts."""
    vec = learn._Vectorizer(ngrams, min_df, binary).fit(pd.Series(train))
    got = vec.transform(pd.Series(test + test[:3]))
    if vec.vectorizer_ is None:
        assert got.shape == (len(test) + len(test[:3]), 1)
        return
    want = vec.vectorizer_.transform(test + test[:3])
    assert got.shape == want.shape and got.dtype == want.dtype
    assert (got != want).nnz == 0
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
