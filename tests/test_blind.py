"""The blind round-2 coding: scripts/blind_sample.py, scripts/unblind.py, scripts/blind_agreement.py."""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import uppks_qual as uq
from uppks_qual.errors import ImportProblem
from uppks_qual.masking import HONORIFICS, Masker
from uppks_qual.schema import codings_frame
from uppks_qual.text_agreement import segment_agreement

ROOT = Path(__file__).resolve().parents[1]
CODING = ROOT / "data" / "coding"
BLIND = CODING / "blind"


def _script(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bs = _script("blind_sample")
ub = _script("unblind")
ba = _script("blind_agreement")


@pytest.fixture(scope="module")
def study() -> tuple[uq.Corpus, uq.Codebook]:
    return uq.load_corpus(ROOT / "data" / "interviews"), uq.load_codebook(ROOT / "codebook.yaml")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, study) -> Path:
    """A fresh round 2 made by the script, in a temporary folder."""
    out = tmp_path_factory.mktemp("blind")
    bs.make_round(sample_path=CODING / "sample.csv", corpus_dir=ROOT / "data" / "interviews",
                  codebook_path=ROOT / "codebook.yaml", out_dir=out, seed=bs.SEED,
                  corpus=study[0])
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ------------------------------------------------------------------ masking and items
def _names(corpus: uq.Corpus, codebook: uq.Codebook) -> set[str]:
    """Every name on the masker's lists: groups, villages, the manifest's `mask:`, informants,
    speakers and actors, and their one-word parts that are names (not ordinary words)."""
    m = corpus.manifest
    full = {*m.groups, *m.groups.values(), *m.mask_people, *m.mask_places, *codebook.actors}
    for doc in corpus:
        full |= {doc.group, doc.village, doc.informant}
        full |= {str(v) for k, v in (doc.meta.get("speakers") or {}).items()
                 if k not in ("P", "I")}
    common = bs.study_masker(corpus, codebook).common
    parts = {w for name in full for w in name.split()
             if w[:1].isupper() and len(w) >= 3 and w not in HONORIFICS
             and w.casefold() not in common}
    return {n for n in full | parts if n and n != "-"}


def test_items_contain_no_names_from_the_maskers_lists(made: Path, study) -> None:
    corpus, codebook = study
    items = _read(made / "round2_items.csv")
    assert list(items.columns) == ["item", "context_before", "passage", "context_after"]
    text = "\n".join(items[c].str.cat(sep="\n") for c in items.columns[1:])
    names = _names(corpus, codebook)
    assert {"Asoka", "Melati", "Durian Daun", "Padang Olo", "Ratna"} <= names
    found = sorted(n for n in names
                   if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.IGNORECASE))
    assert found == []
    leaked_ids = [d.doc_id for d in corpus if d.doc_id in text]
    assert leaked_ids == [] and "KELOMPOK" in text and "NAMA" in text


def test_ordinary_words_in_names_are_kept(study) -> None:
    masker = bs.study_masker(*study)
    assert {"suami", "bungsu"} <= masker.common
    assert masker.mask("Suami Ibu Ratna Dewi datang; suami saya juga.") == \
        "NAMA datang; suami saya juga."
    assert masker.mask("Datuak Rajo Bungsu punya anak bungsu.") == "NAMA punya anak bungsu."


@pytest.mark.parametrize(("text", "masked"), [
    ("rapat batal karena Ibu Ketua berhalangan.", "rapat batal karena Ibu Ketua berhalangan."),
    ("ditemani Pak Wali Nagari dan Ibu Ratna.", "ditemani Pak Wali Nagari dan Ibu NAMA."),
    ("kata Ibu Rosna, Ibu Ketua setuju.", "kata Ibu NAMA, Ibu Ketua setuju."),
    ("Ratna dari KELOMPOK", "NAMA dari KELOMPOK"),
])
def test_role_words_after_an_honorific_are_kept(text: str, masked: str) -> None:
    m = Masker(people=["ratna"], common=frozenset({"ketua", "wali", "nagari"}))
    assert m.mask(text) == masked


def test_context_is_the_neighbouring_sentences_of_the_same_turn(made: Path, study) -> None:
    corpus, codebook = study
    masker = bs.study_masker(corpus, codebook)
    key = _read(made / "round2_key.csv").set_index("item")
    items = _read(made / "round2_items.csv").set_index("item")
    sample = pd.read_csv(CODING / "sample.csv").set_index("passage_id")
    seg = corpus.segments
    sent = seg[seg["kind"] == "sentence"].set_index("segment_id")
    edges = 0
    for item in items.index:
        row = sample.loc[key.loc[item, "passage_id"]]
        sib = sent[sent["parent"] == sent.loc[row["segment_id"], "parent"]].sort_values("start")
        i = list(sib.index).index(row["segment_id"])
        before = sib["text"].iloc[i - 1] if i else ""
        after = sib["text"].iloc[i + 1] if i + 1 < len(sib) else ""
        want = [masker.mask(bs._display(t)) for t in (before, row["text"], after)]
        assert items.loc[item].tolist() == want, item
        edges += not before or not after
    assert 0 < edges < len(items)


def test_order_is_not_grouped_by_document_or_group(made: Path, study) -> None:
    key = _read(made / "round2_key.csv")
    docs = key["doc_id"].tolist()
    assert len(key) == 182 and key["passage_id"].is_unique
    same_doc = sum(a == b for a, b in itertools.pairwise(docs))
    assert same_doc < 30  # grouped by document: 156
    group = {d.doc_id: d.group for d in study[0]}
    groups = [group[d] for d in docs]
    same_group = sum(a == b for a, b in itertools.pairwise(groups))
    assert 60 < same_group < 120  # grouped by group: 180; chance about 90
    rank = key["passage_id"].str[1:].astype(int)
    assert abs(np.corrcoef(rank, np.arange(len(rank)))[0, 1]) < 0.3


def test_the_committed_round_is_what_the_script_makes(made: Path) -> None:
    if not (BLIND / "round2_items.csv").exists():
        pytest.skip("round 2 not made yet (python scripts/blind_sample.py)")
    # the instructions are what the coders saw (codebook 1.1): later codebook versions change
    # their header, not the items or the key
    for name in ("round2_items.csv", "round2_key.csv"):
        assert (made / name).read_bytes() == (BLIND / name).read_bytes(), name
    log = _read(BLIND / "rounds.csv")
    assert log.loc[log["file"] == "data/coding/blind/round2_items.csv", "seed"].tolist() == \
        [str(bs.SEED)]


def test_instructions_come_from_the_codebook(made: Path, study) -> None:
    corpus, codebook = study
    text = (made / "round2_instructions.md").read_text(encoding="utf-8")
    masker = bs.study_masker(corpus, codebook)
    assert text.startswith("# Coding instructions: round 2, blind\n")
    assert f"{len(masker.terms)} masking terms" in text
    for code in bs.round_codes(codebook):
        assert f"`{code.code_id}`: {code.label_en}" in text
        assert bs._display(code.definition)[:60] in text
        assert bs._display(code.not_when)[:60] in text
    assert "`rival_explanations" not in text and "`other`" not in text
    for rule in codebook.rules["unit"]:
        assert bs._display(rule.text)[:60] in text
    assert "item,code_id,valence,note" in text and "from the text alone" in text
    assert not any(d.doc_id in text for d in corpus)
    assert not re.search(r"\b(Asoka|Melati|Yusnidar|Hendri|Ratna)\b", text)


# ------------------------------------------------------------------ unblind
def _answers_from(codings: pd.DataFrame, key: pd.DataFrame, path: Path) -> Path:
    item = dict(zip(key["passage_id"], key["item"], strict=True))
    ans = pd.DataFrame({"item": codings["passage_id"].map(item), "code_id": codings["code_id"],
                        "valence": codings["valence"], "note": codings["note"]})
    ans.sample(frac=1.0, random_state=1).sort_values("item", kind="stable").to_csv(
        path, index=False)
    return path


def test_unblinding_gold_restated_gives_back_gold(made: Path, tmp_path: Path) -> None:
    gold = _read(CODING / "gold.csv")
    key = _read(made / "round2_key.csv")
    answers = _answers_from(gold, key, tmp_path / "ana_answers.csv")
    out = tmp_path / "gold_blind.csv"
    ub.run(answers, coder="ana", key_path=made / "round2_key.csv", out=out,
           rounds=made / "rounds.csv", codebook_path=ROOT / "codebook.yaml")
    back = _read(out)
    pd.testing.assert_frame_equal(
        back.sort_values(["passage_id", "code_id"]).reset_index(drop=True),
        gold.sort_values(["passage_id", "code_id"]).reset_index(drop=True))
    log = _read(made / "rounds.csv")
    line = log[log["file"] == ub._rel(out)].iloc[0]
    assert (line["coder"], line["round"], line["items"], line["seed"]) == \
        ("ana", "round 2, blind", "182", str(bs.SEED))


def test_default_output_is_the_coders_file_with_blind(study) -> None:
    manifest = study[0].manifest
    assert ub.default_output("ana", manifest) == CODING / "gold_blind.csv"
    assert ub.default_output("budi", manifest) == CODING / "coder_budi_blind.csv"


def _tiny_key(path: Path, n: int = 5) -> Path:
    pd.DataFrame({"item": [f"i{k}" for k in range(1, n + 1)],
                  "passage_id": [f"P{k}" for k in range(1, n + 1)],
                  "doc_id": ["d"] * n, "start": [10 * k for k in range(n)],
                  "end": [10 * k + 9 for k in range(n)]}).to_csv(path, index=False)
    return path


def test_validation_errors_name_the_file_and_line(tmp_path: Path) -> None:
    key = _tiny_key(tmp_path / "key.csv")
    answers = tmp_path / "answers.csv"
    answers.write_text(
        "item,code_id,valence,note\n"
        "i9,leadership,positive,\n"                       # 2 unknown item
        "i1,leadrship,positive,\n"                        # 3 unknown code
        "i1,leadership,good,\n"                           # 4 bad valence
        "i2,,neutral,\n"                                  # 5 valence without code
        "i2,rival_explanations.crisis_1998,negative,\n"   # 6 not this round's code
        "i3,officer_role,neutral,\n"
        "i3,officer_role,neutral,again\n",                # 8 repeats line 7
        encoding="utf-8")
    with pytest.raises(ImportProblem, match=r"answers\.csv:3: .*'leadrship'") as err:
        ub.run(answers, coder="ana", key_path=key, out=tmp_path / "out.csv",
               rounds=tmp_path / "rounds.csv", codebook_path=ROOT / "codebook.yaml")
    problems = "\n".join(err.value.problems)
    where = f"{answers}:"
    for expected in (r":2: unknown item 'i9'", r":3: .*did you mean 'leadership'",
                     r":4: .*valence must be one of positive, negative, neutral.*'good'",
                     r":5: .*valence 'neutral' given without a code_id",
                     r":6: .*in codebook\.yaml but not used in round 2, blind",
                     r":8: .*repeats line 7", r": 2 item\(s\) not answered: i4, i5"):
        assert re.search(re.escape(where[:-1]) + expected, problems), expected
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "rounds.csv").exists()


def test_a_bad_header_is_line_1(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("item;code;valence\ni1;leadership;positive\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match=r"answers\.csv:1: missing column\(s\) code_id"):
        ub.run(answers, coder="x", key_path=_tiny_key(tmp_path / "key.csv"),
               out=tmp_path / "o.csv", rounds=tmp_path / "r.csv",
               codebook_path=ROOT / "codebook.yaml")


# ------------------------------------------------------------------ agreement by hand
# Five passages; A and B code them as below (six factors each):
#   i1: A leadership +            B leadership.meetings +
#   i2: A leadership -            B (none)
#   i3: A capital_growth.kukesra 0  B capital_growth 0
#   i4: A (none)                  B (none)
#   i5: A officer_role -          B officer_role.guidance 0
ANSWERS_A = ("item,code_id,valence,note\ni1,leadership,positive,\ni2,leadership,negative,\n"
             "i3,capital_growth.kukesra,neutral,\ni4,,,\ni5,officer_role,negative,\n")
ANSWERS_B = ("item,code_id,valence,note\ni1,leadership.meetings,positive,\ni2,,,\n"
             "i3,capital_growth,neutral,\ni4,,,\ni5,officer_role.guidance,neutral,\n")
# leadership: A 1 1 0 0 0, B 1 0 0 0 0: p_o 4/5, p_e 2/5*1/5 + 3/5*4/5 = 14/25, kappa 6/11;
#   alpha: n=10 values, three 1s, seven 0s, one disagreeing unit: 1 - 9*2/(2*3*7) = 4/7.
# capital_growth, officer_role: identical, 1 and 1; the other three factors: undefined.
# overall (30 decisions): A 4 ones, B 3, one disagreement: p_o 29/30,
#   p_e (4*3 + 26*27)/900 = 714/900, kappa (870-714)/(900-714) = 26/31;
#   alpha: n=60, 7 ones, 53 zeros: 1 - 59*2/(2*7*53) = 312/371.
# valence (pairs both coded): (pos,pos), (neu,neu), (neg,neu): p_o 2/3,
#   p_e = 1/3*1/3 + 1/3*2/3 + 1/3*0 = 1/3, kappa 1/2;
#   alpha: n=6 (pos 2, neu 3, neg 1), disagreeing coincidences 2: 1 - 5*2/(36-14) = 6/11.
HAND = {
    "leadership": (Fraction(4, 5), Fraction(6, 11), Fraction(4, 7)),
    "capital_growth": (1, 1, 1),
    "officer_role": (1, 1, 1),
    "overall": (Fraction(29, 30), Fraction(26, 31), Fraction(312, 371)),
    "valence": (Fraction(2, 3), Fraction(1, 2), Fraction(6, 11)),
}


@pytest.fixture
def tiny_pair(tmp_path: Path) -> tuple[Path, Path]:
    key = _tiny_key(tmp_path / "key.csv")
    outs = []
    for coder, text in (("a", ANSWERS_A), ("b", ANSWERS_B)):
        (tmp_path / f"{coder}.csv").write_text(text, encoding="utf-8")
        out = tmp_path / f"{coder}_blind.csv"
        ub.run(tmp_path / f"{coder}.csv", coder=coder, key_path=key, out=out,
               rounds=tmp_path / "rounds.csv", codebook_path=ROOT / "codebook.yaml")
        outs.append(out)
    return outs[0], outs[1]


def test_agreement_equals_values_worked_by_hand(tiny_pair, study) -> None:
    codebook = study[1]
    a, b = (ba.read_coded(p, codebook) for p in tiny_pair)
    factors = [c.code_id for c in codebook.factors()]
    table = ba.agreement_table(a, b, factors, boot=200, seed=7).set_index("level")
    for level, (pa, kappa, alpha) in HAND.items():
        got = table.loc[level, ["agreement", "kappa", "alpha"]].astype(float).tolist()
        assert got == pytest.approx([float(pa), float(kappa), float(alpha)]), level
    for level in ("information_clarity", "leader_support", "partnerships"):
        assert np.isnan(table.loc[level, "kappa"]) and np.isnan(table.loc[level, "alpha"])
    assert table.loc["valence", "units"] == 3 and table.loc["overall", "units"] == 30
    assert table.loc["overall", "kappa_lo"] <= table.loc["overall", "kappa"] <= \
        table.loc["overall", "kappa_hi"]
    again = ba.agreement_table(a, b, factors, boot=200, seed=7).set_index("level")
    pd.testing.assert_frame_equal(table, again)


def test_code_level_agrees_with_the_packages_segment_agreement(tiny_pair, study) -> None:
    codebook = study[1]
    rows = []
    for path in tiny_pair:
        df = _read(path)
        df = df[df["code_id"] != ""]
        rows += [{"doc_id": r.doc_id, "group": "", "start": int(r.start), "end": int(r.end),
                  "code_id": r.code_id, "coder": r.coder, "valence": r.valence}
                 for r in df.itertuples()]
    units = _read(tiny_pair[0])[["doc_id", "start", "end"]].drop_duplicates().astype(
        {"start": int, "end": int})
    pkg = segment_agreement(codings_frame(rows), units, ("a", "b")).set_index("code")
    ours = ba.agreement_table(*(ba.read_coded(p, codebook) for p in tiny_pair),
                              [c.code_id for c in codebook.factors()], boot=0)
    ours = ours.set_index("level")
    for level in ("leadership", "capital_growth", "officer_role"):
        assert ours.loc[level, "kappa"] == pytest.approx(pkg.loc[level, "kappa"])
    assert float(Fraction(26, 31)) == pytest.approx(ours.loc["overall", "kappa"])


def test_the_script_prints_a_markdown_table(tiny_pair, capsys) -> None:
    a, b = tiny_pair
    lines: list[str] = []
    ba.main([str(a), str(b), "--old", str(a), str(b), "--coders", "a", "b", "--boot", "20"],
            out=lines.append)
    table = lines[0].splitlines()
    assert table[0].startswith("| comparison | level | units |")
    assert any(r.startswith("| a blind vs b blind | leadership | 5 | 2 | 1 | 80.0 | 0.545")
               for r in table)
    assert any(r.startswith("| a blind vs a old | overall | 30 | 4 | 4 | 100.0 | 1.000")
               for r in table)
