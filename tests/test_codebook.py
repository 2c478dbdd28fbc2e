"""Tests for :mod:`uppks_qual.codebook` (loading and validating ``codebook.yaml``).

Every error case is a tiny YAML file in ``tmp_path`` whose line numbers are counted in the
test, so ``codebook.yaml:N`` in the message is checked exactly.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual.codebook import check_codebook, load_codebook, parse_codebook
from uppks_qual.errors import CodebookError, PatternError, QualError, UnknownCodeError
from uppks_qual.records import Code, Codebook

ROOT = Path(__file__).resolve().parents[1]

REAL_CODEBOOK = Path(__file__).resolve().parents[1] / "codebook.yaml"
SIX_FACTORS = (
    "leadership",
    "information_clarity",
    "leader_support",
    "officer_role",
    "capital_growth",
    "partnerships",
)


def write_codebook(folder: Path, text: str) -> Path:
    path = folder / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the error table
# (yaml, exception type, message regex). Line numbers are counted from line 1 = "codes:".
ERROR_CASES = [
    pytest.param(
        "codes:\n  - id: a\n   label: A\n",
        CodebookError,
        r"codebook\.yaml:3: malformed YAML",
        id="malformed-yaml-indentation",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: [A, B\n  - id: b\n",
        CodebookError,
        r"codebook\.yaml:4: malformed YAML",
        id="malformed-yaml-unclosed-flow",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    label: B\n",
        CodebookError,
        r"codebook\.yaml:4: malformed YAML: duplicate key 'label'",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "- id: a\n  label: A\n",
        CodebookError,
        r"codebook\.yaml:1: a codebook must be a mapping with a `codes:` list",
        id="not-a-mapping",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n  - id: a\n    label: A again\n",
        CodebookError,
        r"codebook\.yaml:4: duplicate code id 'a' \(first defined on line 2\)",
        id="duplicate-id",
    ),
    pytest.param(
        "codes:\n  - id: Bad-Id\n    label: A\n",
        CodebookError,
        r"codebook\.yaml:2: invalid code id 'Bad-Id'",
        id="invalid-id",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n  - id: a.b\n    label: B\n    parent: trust\n",
        CodebookError,
        r"codebook\.yaml:6: unknown parent code 'trust' for code 'a\.b'",
        id="unknown-parent",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    parent: a\n",
        CodebookError,
        r"codebook\.yaml:4: parent cycle a -> a",
        id="self-parent",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    lable: B\n",
        CodebookError,
        r"codebook\.yaml:4: unknown key 'lable' in code 'a'; allowed keys are id,",
        id="unknown-key",
    ),
    pytest.param(
        "codes:\n  - id: a\n    definition: no label here\n",
        CodebookError,
        r"codebook\.yaml:2: code 'a' needs `label: \{en: \.\.\., id: \.\.\.\}`",
        id="missing-label",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: {en: Leadership}\n",
        CodebookError,
        r"codebook\.yaml:3: code 'a' needs `label",
        id="label-without-id",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    colour: red\n",
        CodebookError,
        r"codebook\.yaml:4: colour 'red' of code 'a' must look like '#1b9e77'",
        id="bad-colour",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    color: '#12345'\n",
        CodebookError,
        r"codebook\.yaml:4: colour '#12345' of code 'a'",
        id="bad-color-us-spelling",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    kind: theme\n",
        CodebookError,
        r"codebook\.yaml:4: kind 'theme' of code 'a' must be one of factor, structural",
        id="bad-kind",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    cues:\n      phrase: [ketua]\n",
        PatternError,
        r"codebook\.yaml:4: `cues` of code 'a' must be a mapping with keys phrases,",
        id="cues-unknown-key",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    cues:\n      phrases: [ketua, 3]\n",
        PatternError,
        r"codebook\.yaml:5: `phrases` of code 'a' must be a list of non-empty strings",
        id="phrases-not-strings",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    positive: ['  ']\n",
        PatternError,
        r"codebook\.yaml:4: `positive` of code 'a' must be a list of non-empty",
        id="positive-blank",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    cues:\n      patterns: {LOWER: ketua}\n",
        PatternError,
        r"codebook\.yaml:5: `patterns` of code 'a' must be a list of token patterns",
        id="patterns-not-a-list",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    cues:\n      patterns: [{LOWER: ketua}]\n",
        PatternError,
        r"codebook\.yaml:5: pattern 1 of code 'a': must be a non-empty list of token",
        id="pattern-not-a-list",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\n    cues:\n      patterns:\n"
        "        - [{LOWER: ketua}]\n        - [{LOWR: ketua}]\n",
        PatternError,
        r"codebook\.yaml:5: pattern 2 of code 'a': unknown token key 'LOWR'",
        id="pattern-unknown-token-key",
    ),
    pytest.param(
        "version: 1\nnmae: x\ncodes:\n  - id: a\n    label: A\n",
        CodebookError,
        r"codebook\.yaml:2: unknown top-level key 'nmae'; allowed keys are version, name, codes",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\nactors:\n  Pak Afrizal: officer\n",
        CodebookError,
        r"codebook\.yaml:5: actor 'Pak Afrizal' refers to unknown code 'officer'",
        id="actor-unknown-code",
    ),
    pytest.param(
        "codes:\n  - id: a\n    label: A\nactors: [Pak Afrizal]\n",
        CodebookError,
        r"codebook\.yaml:4: `actors` must map names to code ids",
        id="actors-not-mapping",
    ),
]


@pytest.mark.parametrize(("text", "exc_type", "message"), ERROR_CASES)
def test_codebook_error_names_file_and_line(
    tmp_path: Path, text: str, exc_type: type[Exception], message: str
) -> None:
    path = write_codebook(tmp_path, text)
    with pytest.raises(exc_type, match=message) as info:
        load_codebook(path)
    assert isinstance(info.value, CodebookError)
    assert isinstance(info.value, ValueError)
    assert info.value.path == str(path)
    assert isinstance(info.value.line, int)


@pytest.mark.parametrize(("text", "exc_type", "message"), ERROR_CASES[:3])
def test_parse_codebook_uses_given_path(text: str, exc_type: type[Exception], message: str) -> None:
    with pytest.raises(exc_type, match=message):
        parse_codebook(text, "codebook.yaml")


#: Patterns whose structure is fine but which spaCy's Matcher rejects: reading the codebook
#: accepts them (it never imports spaCy); compile_cues, which `uppks-qual check` runs, refuses.
COMPILE_CASES = [
    pytest.param("codes:\n  - id: a\n    label: A\n    cues:\n      patterns:\n"
                 "        - [{LOWER: x}, {LOWER: y, OP: '?!'}]\n", id="pattern-bad-op"),
    pytest.param("codes:\n  - id: a\n    label: A\n    cues:\n      patterns:\n"
                 "        - [{LOWER: {REGEX: '(unclosed'}}]\n", id="pattern-bad-regex"),
]


@pytest.mark.parametrize("text", COMPILE_CASES)
def test_compile_cues_names_file_and_line(tmp_path: Path, text: str) -> None:
    from uppks_qual.autocode import compile_cues

    path = write_codebook(tmp_path, text)
    codebook = load_codebook(path)  # the structure is valid
    with pytest.raises(PatternError, match=r"codebook\.yaml:2: pattern 1 of code 'a' is not "
                                           r"a valid spaCy Matcher pattern") as info:
        compile_cues(codebook)
    assert info.value.path == str(path)
    assert info.value.line == 2


def test_reading_a_codebook_does_not_import_spacy() -> None:
    code = ("import sys, uppks_qual as uq; cb = uq.load_codebook('codebook.yaml'); "
            "sys.exit(1 if 'spacy' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr or "load_codebook imported spaCy"


def test_spacy_rejects_bad_op() -> None:
    """The ``{OP: "?!"}`` case above relies on spaCy refusing the operator at compile time."""
    from spacy.matcher import Matcher

    from uppks_qual.nlp import get_nlp

    matcher = Matcher(get_nlp().vocab)
    with pytest.raises(ValueError, match="OP"):
        matcher.add("x", [[{"LOWER": "x"}, {"LOWER": "y", "OP": "?!"}]])


def test_parent_cycle_reports_every_code_on_it(tmp_path: Path) -> None:
    text = (
        "codes:\n  - id: a\n    label: A\n    parent: b\n  - id: b\n    label: B\n    parent: a\n"
    )
    path = write_codebook(tmp_path, text)
    with pytest.raises(CodebookError, match=r"2 problems") as info:
        load_codebook(path)
    problems = info.value.problems
    assert [type(p) for p in problems] == [CodebookError, CodebookError]
    assert [p.line for p in problems] == [4, 7]
    assert [p.code_id for p in problems] == ["a", "b"]
    assert re.search(r"codebook\.yaml:4: parent cycle a -> b -> a", problems[0].message)
    assert re.search(r"codebook\.yaml:7: parent cycle b -> a -> b", problems[1].message)


def test_several_problems_reported_together(tmp_path: Path) -> None:
    text = (
        "codes:\n"  # 1
        "  - id: a\n"  # 2
        "    label: A\n"  # 3
        "  - id: a\n"  # 4  duplicate id
        "    label: A\n"  # 5
        "  - id: b\n"  # 6
        "    label: B\n"  # 7
        "    colour: blue\n"  # 8  bad colour
        "  - id: c\n"  # 9
        "    label: C\n"  # 10
        "    parent: nowhere\n"  # 11 unknown parent
        "  - id: d\n"  # 12 missing label
    )
    path = write_codebook(tmp_path, text)
    with pytest.raises(CodebookError, match=r"^4 problems:\n") as info:
        load_codebook(path)
    problems = info.value.problems
    assert all(isinstance(p, CodebookError) for p in problems)
    assert sorted(p.line for p in problems) == [4, 8, 11, 12]
    for p in problems:
        assert f"codebook.yaml:{p.line}: " in str(info.value)
    # check_codebook returns the same list instead of raising
    codebook, listed = check_codebook(path)
    assert codebook is None
    assert sorted(p.line for p in listed) == [4, 8, 11, 12]


def test_missing_codebook_file(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match=r"nope\.yaml: no such codebook file"):
        load_codebook(tmp_path / "nope.yaml")


def test_check_codebook_single_problem(tmp_path: Path) -> None:
    path = write_codebook(tmp_path, "codes:\n  - id: a\n    label: A\n    colour: red\n")
    codebook, problems = check_codebook(path)
    assert codebook is None
    assert len(problems) == 1
    assert isinstance(problems[0], QualError)
    assert problems[0].line == 4


# --------------------------------------------------------------------------- cue patterns, bugs
def test_valid_token_patterns_compile(tmp_path: Path) -> None:
    """Regression: build_matchers once passed one pattern where spaCy wants a list of them."""
    text = (
        "codes:\n  - id: capital\n    label: Capital\n    cues:\n      patterns:\n"
        "        - [{LOWER: putaran}, {LOWER: {IN: [i, ii, iii]}}]\n"
        "        - [{LEMMA: pinjam}, {OP: '?'}, {LOWER: modal}]\n"
    )
    codebook = load_codebook(write_codebook(tmp_path, text))
    patterns = codebook["capital"].patterns
    assert len(patterns) == 2
    assert patterns[0][0] == {"LOWER": "putaran"}
    assert codebook["capital"].has_cues


def test_examples_as_single_string(tmp_path: Path) -> None:
    text = 'codes:\n  - id: a\n    label: A\n    examples: "Ketua rajin."\n'
    try:
        codebook = load_codebook(write_codebook(tmp_path, text))
    except CodebookError as exc:  # rejecting it with a line number is fine too
        assert exc.line == 4
        return
    assert codebook["a"].examples == ("Ketua rajin.",)


def test_non_mapping_entry_names_its_line(tmp_path: Path) -> None:
    text = "codes:\n  - id: a\n    label: A\n  - just a string\n"
    with pytest.raises(CodebookError, match=r"codebook\.yaml:4: each entry of `codes:` must be"):
        load_codebook(write_codebook(tmp_path, text))


# --------------------------------------------------------------------------- a valid codebook
@pytest.fixture
def small(small_codebook_yaml: str, tmp_path: Path) -> Codebook:
    return load_codebook(write_codebook(tmp_path, small_codebook_yaml))


def test_small_codebook_order_and_lookup(small: Codebook) -> None:
    ids = [
        "leadership",
        "leadership.meetings",
        "leadership.meetings.minutes",
        "stage",
        "stage.formation",
    ]
    assert [c.code_id for c in small] == ids
    assert small.ids == tuple(ids)
    assert len(small) == 5
    assert small.name == "small"
    assert "stage" in small
    assert "trust" not in small
    assert isinstance(small["leadership"], Code)
    assert all(isinstance(c, Code) for c in small)


def test_small_codebook_tree(small: Codebook) -> None:
    minutes = small["leadership.meetings.minutes"]
    assert minutes.parent == "leadership.meetings"
    assert minutes.factor == "leadership"
    assert small["leadership.meetings"].factor == "leadership"
    assert small["leadership"].parent is None
    assert small["leadership"].factor == "leadership"
    assert small["stage.formation"].factor == "stage"
    assert [c.code_id for c in small.children("leadership")] == ["leadership.meetings"]
    assert small.children("leadership.meetings.minutes") == ()
    assert [c.code_id for c in small.top_level()] == ["leadership", "stage"]
    assert [c.code_id for c in small.factors()] == ["leadership"]
    assert [small.depth(c.code_id) for c in small] == [0, 1, 2, 0, 1]


def test_small_codebook_inherits_colour_and_kind(small: Codebook) -> None:
    assert small.colour("leadership") == "#E69F00"
    assert small.colour("leadership.meetings") == "#E69F00"
    assert small.colour("leadership.meetings.minutes") == "#E69F00"  # from the grandparent
    assert small.colour("stage") == "#999999"
    assert small.colour("stage.formation") == "#123abc"  # its own colour wins
    assert [c.kind for c in small] == ["factor", "factor", "factor", "structural", "structural"]


def test_small_codebook_fields(small: Codebook) -> None:
    leadership = small["leadership"]
    assert leadership.label("en") == "Leadership"
    assert leadership.label("id") == "Kepemimpinan"
    assert leadership.examples == ("Ketua rajin.", "Rapat sering batal.")
    assert leadership.phrases == ("ketua", "pengurus")
    assert leadership.lemmas == ("memimpin",)
    assert leadership.positive == ("rajin",)
    assert leadership.negative == ("batal",)
    assert leadership.has_cues
    assert leadership.line == 3
    assert small["leadership.meetings"].line == 13
    minutes = small["leadership.meetings.minutes"]
    assert (minutes.label_en, minutes.label_id) == ("Notulen", "Notulen")  # plain-string label
    assert not minutes.has_cues
    assert small.labels("id")["stage.formation"] == "Pembentukan"


@pytest.mark.parametrize("code_id", ["trust", "", "Leadership", "leadership.meeting"])
def test_unknown_code_id(small: Codebook, code_id: str) -> None:
    with pytest.raises(
        UnknownCodeError, match=rf"codebook\.yaml: unknown code {code_id!r}"
    ) as info:
        small[code_id]
    assert isinstance(info.value, KeyError)
    assert info.value.code_id == code_id
    assert "leadership.meetings" in str(info.value)  # lists the known codes


def test_children_of_unknown_code(small: Codebook) -> None:
    with pytest.raises(UnknownCodeError, match="unknown code 'nope'"):
        small.children("nope")


def test_actors_become_person_cues(tmp_path: Path) -> None:
    text = (
        "codes:\n  - id: officer_role\n    label: Officer\n    cues:\n      persons: [plkb]\n"
        "actors:\n  Pak Afrizal: officer_role\n"
    )
    code = load_codebook(write_codebook(tmp_path, text))["officer_role"]
    assert code.persons == ("plkb", "Pak Afrizal")
    assert code.has_cues


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    codebook = load_codebook(write_codebook(tmp_path, "codes:\n  - id: a\n    label: A\n"))
    assert codebook.name == "codebook"
    assert codebook["a"].colour == "#777777"
    assert codebook["a"].kind == "factor"


# --------------------------------------------------------------------------- property: random trees
@st.composite
def code_trees(draw: st.DrawFn) -> list[tuple[str, int | None, str | None]]:
    """Codes in file order as (id, parent index, colour); a parent always comes earlier."""
    n = draw(st.integers(1, 12))
    codes: list[tuple[str, int | None, str | None]] = []
    for i in range(n):
        parent = draw(st.none() | st.integers(0, i - 1)) if i else None
        colour = draw(st.none() | st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
        if parent is None and colour is None:
            colour = "#000000"
        code_id = f"c{i}" if parent is None else f"{codes[parent][0]}.k{i}"
        codes.append((code_id, parent, colour))
    return codes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code_trees(), st.data())
def test_random_tree_builds(
    codes: list[tuple[str, int | None, str | None]], data: st.DataObject
) -> None:
    kinds = {i: data.draw(st.sampled_from(["factor", "structural"])) for i, c in enumerate(codes)}
    lines = ["codes:"]
    for i, (code_id, parent, colour) in enumerate(codes):
        lines += [f"  - id: {code_id}", f"    label: Label {i}"]
        if parent is not None:
            lines.append(f"    parent: {codes[parent][0]}")
        else:
            lines.append(f"    kind: {kinds[i]}")
        if colour is not None:
            lines.append(f"    colour: '{colour}'")
    codebook = parse_codebook("\n".join(lines) + "\n", "codebook.yaml")

    assert codebook.ids == tuple(c[0] for c in codes)
    for i, (code_id, parent, colour) in enumerate(codes):
        code = codebook[code_id]
        root = i
        while codes[root][1] is not None:
            root = codes[root][1]  # type: ignore[assignment]
        assert code.factor == codes[root][0]
        assert code.kind == kinds[root]
        assert code.parent == (None if parent is None else codes[parent][0])
        expected, k = colour, i
        while expected is None:
            k = codes[k][1]  # type: ignore[assignment]
            expected = codes[k][2]
        assert code.colour == expected
        assert codebook.depth(code_id) == code_id.count(".")


# --------------------------------------------------------------------------- the real codebook
@pytest.mark.skipif(not REAL_CODEBOOK.exists(), reason="codebook.yaml is not written yet")
def test_real_codebook_content() -> None:
    """The project's codebook.yaml loads (cues compile) and has the study's six factors."""
    codebook = load_codebook(REAL_CODEBOOK)
    assert tuple(c.code_id for c in codebook.factors()) == SIX_FACTORS
    for factor in codebook.factors():
        assert len(factor.examples) >= 2, factor.code_id
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", factor.colour), factor.code_id
        assert factor.has_cues, factor.code_id
        assert factor.positive, factor.code_id
        assert factor.negative, factor.code_id
        assert factor.label("en") and factor.label("id"), factor.code_id
    for code in codebook:
        assert code.factor in codebook.ids
        assert codebook[code.factor].parent is None


@pytest.mark.parametrize(("text", "message"), [
    ("version: 7\ncodes:\n  - id: a\n    label: A\n", r"codebook\.yaml:1: codebook format version 7"),
    ("codes:\n  - id: a\n    label: A\n  - id: a.b\n    label: B\n    parent: a\n"
     "    kind: structural\n", r"codebook\.yaml:7: code 'a\.b' has a parent"),
])
def test_header_rules_are_enforced(text: str, message: str) -> None:
    from uppks_qual.codebook import parse_codebook
    from uppks_qual.errors import CodebookError

    with pytest.raises(CodebookError, match=message):
        parse_codebook(text, "codebook.yaml")


# --------------------------------------------------------------------------- changelog, rules, kinds
VERSIONED = """\
changelog:
  - version: "1.0"
    date: 2026-01-05
    change: first
  - version: "1.1"
    date: 2026-02-01
    change: >-
      rival codes
      added
codes:
  - id: a
    label: A
  - id: r
    kind: rival
    label: R
  - id: r.x
    parent: r
    label: X
  - id: o
    kind: other
    label: O
"""


def test_changelog_is_read_and_gives_the_version() -> None:
    codebook = parse_codebook(VERSIONED, "codebook.yaml")
    assert [(e.version, e.date) for e in codebook.changelog] == [("1.0", "2026-01-05"),
                                                                 ("1.1", "2026-02-01")]
    assert codebook.changelog[1].change == "rival codes added"
    assert codebook.changelog[1].line == 5
    assert codebook.version == "1.1"
    assert parse_codebook("codes:\n  - id: a\n    label: A\n").version is None


@pytest.mark.parametrize(("old", "new", "message"), [
    ('version: "1.1"', "version: 1.1",
     r"codebook\.yaml:5: changelog version 1\.1 must be a quoted string"),
    ("date: 2026-02-01", "date: 1 Feb 2026",
     r"codebook\.yaml:6: changelog date '1 Feb 2026' of version '1\.1' must be an ISO date"),
    ("date: 2026-02-01", "date: 2025-12-31",
     r"codebook\.yaml:5: changelog entry '1\.1' \(2025-12-31\) is older than the entry above"),
    ('version: "1.1"', 'version: "1.0"', r"codebook\.yaml:5: changelog version '1\.0' is listed twice"),
    ("    change: first\n", "", r"codebook\.yaml:2: changelog entry lacks change"),
    ("    change: first\n", "    change: first\n    author: ana\n",
     r"codebook\.yaml:5: unknown key 'author' in a changelog entry"),
    ("changelog:\n", "changelog: 1.1\nunused:\n", r"codebook\.yaml:1: `changelog` must be a list"),
    ("kind: other", "kind: others",
     r"codebook\.yaml:20: kind 'others' of code 'o' must be one of factor, structural, rival, "
     r"other"),
], ids=["unquoted-version", "bad-date", "out-of-order", "duplicate-version", "missing-change",
        "unknown-key", "not-a-list", "unknown-kind"])
def test_bad_changelog_or_kind_names_file_and_line(old: str, new: str, message: str) -> None:
    assert VERSIONED.count(old) == 1
    with pytest.raises(CodebookError, match=message):
        parse_codebook(VERSIONED.replace(old, new), "codebook.yaml")


def test_rivals_and_factors_are_separate() -> None:
    codebook = parse_codebook(VERSIONED, "codebook.yaml")
    assert [c.code_id for c in codebook.factors()] == ["a"]
    assert [c.code_id for c in codebook.rivals()] == ["r", "r.x"]
    assert codebook["r.x"].kind == "rival"  # children take the top-level code's kind
    assert codebook["o"].kind == "other"
    assert [c.code_id for c in codebook.top_level()] == ["a", "r", "o"]


RULES = """\
coding_rules:
  valence:
    - rule: >-
        The state of the factor,
        not the mood.
      examples:
        - {doc_id: d1, quote: "Rapat batal.", code: a, valence: negative, note: why}
  unit:
    - rule: A sentence.
      examples:
        - {doc_id: d1, quote: "Apa kabar?"}
codes:
  - id: a
    label: A
"""


def test_coding_rules_are_read() -> None:
    codebook = parse_codebook(RULES, "codebook.yaml")
    assert list(codebook.rules) == ["valence", "unit"]
    (valence,) = codebook.rules["valence"]
    assert (valence.text, valence.line) == ("The state of the factor, not the mood.", 3)
    (example,) = valence.examples
    assert (example.doc_id, example.quote, example.code_id, example.valence, example.note) == (
        "d1", "Rapat batal.", "a", "negative", "why")
    assert codebook.rules["unit"][0].examples[0].valence is None


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  unit:", "  units:", r"codebook\.yaml:8: unknown coding_rules topic 'units'"),
    ("valence: negative, ", "", r"codebook\.yaml:7: an example of a valence rule needs `valence:`"),
    ("valence: negative", "valence: bad",
     r"codebook\.yaml:7: valence 'bad' of an example of coding_rules\.valence must be one of"),
    ("code: a,", "code: b,", r"codebook\.yaml:7: example of coding_rules\.valence names unknown "
                             r"code 'b'"),
    ('quote: "Apa kabar?"', "text: x", r"codebook\.yaml:11: unknown key 'text' in an example"),
    ('    - rule: A sentence.\n      examples:\n        - {doc_id: d1, quote: "Apa kabar?"}\n',
     "    - A sentence.\n",
     r"codebook\.yaml:9: each rule of coding_rules\.unit must be a mapping with `rule:`"),
], ids=["unknown-topic", "valence-missing", "bad-valence", "unknown-code", "unknown-key",
        "rule-not-mapping"])
def test_bad_coding_rules_name_file_and_line(old: str, new: str, message: str) -> None:
    assert RULES.count(old) == 1
    with pytest.raises(CodebookError, match=message):
        parse_codebook(RULES.replace(old, new), "codebook.yaml")


@pytest.mark.skipif(not REAL_CODEBOOK.exists(), reason="codebook.yaml is not written yet")
def test_real_codebook_rivals_other_changelog_and_rules(real_corpus) -> None:
    codebook = load_codebook(REAL_CODEBOOK)
    assert tuple(c.code_id for c in codebook.factors()) == SIX_FACTORS
    rivals = [c.code_id for c in codebook.rivals()]
    assert rivals == ["rival_explanations", *(f"rival_explanations.{x}" for x in (
        "crisis_1998", "debt_cancellation_rumour", "joint_liability", "remittances"))]
    for code_id in rivals[1:]:
        code = codebook[code_id]
        assert code.has_cues and len(code.examples) >= 2 and code.definition, code_id
        assert code.use_when and code.not_when, code_id
    other = codebook["other"]
    assert (other.kind, other.parent, other.has_cues) == ("other", None, False)
    assert codebook.version == codebook.changelog[-1].version
    assert len(codebook.changelog) >= 2
    assert set(codebook.rules) == {"valence", "unit"}
    texts = {d.doc_id: d.text for d in real_corpus}
    for topic, rules in codebook.rules.items():
        for rule in rules:
            for example in rule.examples:  # worked examples quote the bundled corpus verbatim
                assert example.quote in texts[example.doc_id], (topic, example.quote)
                assert example.code_id is None or example.code_id in codebook
            if topic == "valence":
                assert rule.examples and all(e.valence for e in rule.examples), rule.text
    for code in (*codebook.rivals(), other):  # their examples are quotes from the corpus too
        for quote in code.examples:
            assert any(quote in t for t in texts.values()), (code.code_id, quote)
    assert "version: 1\n" in REAL_CODEBOOK.read_text(encoding="utf-8")  # the format version
