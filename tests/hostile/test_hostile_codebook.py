"""Hostile input, family "codebook": every field of the wrong type is a ``CodebookError`` (or
its ``PatternError``) naming ``file:line`` and the type expected, never a ``TypeError``.

``parent: [a]`` and an ``actors:`` target that is a list used to raise ``TypeError:
unhashable type``; a fuzzer over random YAML structures and over mutations of the real
``codebook.yaml`` checks that nothing else escapes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual.autocode import compile_cues
from uppks_qual.codebook import check_codebook, load_codebook, parse_codebook
from uppks_qual.errors import CodebookError, PatternError, QualError
from uppks_qual.records import Codebook

REAL = (ROOT / "codebook.yaml").read_text(encoding="utf-8")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

#: A valid codebook; each case below replaces one line (marked by its text) with a bad one.
BASE = """\
version: 1
name: tiny
actors:
  Pak Harun: capital
coding_rules:
  valence:
    - rule: Macet is negative.
      examples:
        - {doc_id: d1, quote: macet, code: capital, valence: negative, note: clear}
changelog:
  - {version: "1.0", date: 2024-01-01, change: first}
codes:
  - id: capital
    kind: factor
    label: {en: Capital, id: Modal}
    definition: Money of the group.
    examples: [modal kami bertambah]
    colour: "#1b9e77"
    cues:
      phrases: [modal]
      patterns:
        - [{LOWER: modal}, {LOWER: usaha}]
    positive: [bertambah]
  - id: capital.loan
    parent: capital
    label: Loans
"""


def test_base_codebook_is_valid() -> None:
    cb = parse_codebook(BASE, "cb.yaml")
    assert isinstance(cb, Codebook) and [c.code_id for c in cb] == ["capital", "capital.loan"]
    compile_cues(cb)


def replaced(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# (line to replace, its replacement, the error class, words the message must hold[, text on
# the line the error names: by default the last line of the replacement])
CASES = [
    ("    parent: capital\n", "    parent: [capital]\n", CodebookError,
     "`parent` of code 'capital.loan' must be the id of one code (text such as leadership), "
     "not a list"),
    ("    parent: capital\n", "    parent: {id: capital}\n", CodebookError, "not a mapping"),
    ("  Pak Harun: capital\n", "  Pak Harun: [capital]\n", CodebookError,
     "actor 'Pak Harun' must name one code id (text such as officer_role), not a list"),
    ("  Pak Harun: capital\n", "  Pak Harun: {a: 1}\n", CodebookError, "not a mapping"),
    ("    kind: factor\n", "    kind: [factor]\n", CodebookError,
     "`kind` of code 'capital' must be one of factor, structural, rival, other, not a list"),
    ("    label: Loans\n", "    label: [Loans]\n", CodebookError,
     "code 'capital.loan' needs `label: {en: ..., id: ...}`"),
    ("    label: {en: Capital, id: Modal}\n", "    label: {en: [Capital], id: Modal}\n",
     CodebookError, "code 'capital' needs `label: {en: ..., id: ...}`"),
    ("    definition: Money of the group.\n", "    definition: [Money]\n", CodebookError,
     "`definition` of code 'capital' must be text, not a list"),
    ("    definition: Money of the group.\n", "    use_when: {a: b}\n", CodebookError,
     "`use_when` of code 'capital' must be text, not a mapping"),
    ("    definition: Money of the group.\n", "    memo: [x]\n", CodebookError,
     "`memo` of code 'capital' must be text"),
    ("    examples: [modal kami bertambah]\n", "    examples: [{quote: x}]\n", CodebookError,
     "`examples` of code 'capital' must be a list of quoted passages (text)"),
    ("    examples: [modal kami bertambah]\n", "    examples: {a: b}\n", CodebookError,
     "`examples` of code 'capital' must be a list"),
    ('    colour: "#1b9e77"\n', "    colour: [1, 2]\n", CodebookError,
     "colour [1, 2] of code 'capital' must look like '#1b9e77'"),
    ("    label: Loans\n", "    label: Loans\n    cues: [pinjaman]\n", PatternError,
     "`cues` of code 'capital.loan' must be a mapping with keys phrases"),
    ("      phrases: [modal]\n", "      phrases: {modal: 1}\n", PatternError,
     "`phrases` of code 'capital' must be a list of non-empty strings"),
    ("      phrases: [modal]\n", "      phrases: [[modal]]\n", PatternError,
     "must be a list of non-empty strings"),
    ("        - [{LOWER: modal}, {LOWER: usaha}]\n", "        - [{LOWER: [[modal]]}]\n",
     PatternError, "the value of 'LOWER' must be a word", "patterns:"),
    ("        - [{LOWER: modal}, {LOWER: usaha}]\n", "        - [{LEMMA: {IN: [[a]]}}]\n",
     PatternError, "the value of 'LEMMA' must be a word", "patterns:"),
    ("        - [{LOWER: modal}, {LOWER: usaha}]\n", "        - modal usaha\n", PatternError,
     "pattern 1 of code 'capital': must be a non-empty list of token mappings", "patterns:"),
    ("    positive: [bertambah]\n", "    positive: [{a: 1}]\n", PatternError,
     "`positive` of code 'capital' must be a list of non-empty strings"),
    ("name: tiny\n", "name: [tiny]\n", CodebookError,
     "the codebook's `name` must be text, not a list"),
    ("name: tiny\n", "name: tiny\ndescription: {a: 1}\n", CodebookError,
     "the codebook's `description` must be text, not a mapping"),
    ("        - {doc_id: d1, quote: macet, code: capital, valence: negative, note: clear}\n",
     "        - {doc_id: d1, quote: macet, code: [capital], valence: negative}\n",
     CodebookError, "`code` of an example of coding_rules.valence must be text, not a list"),
    ("        - {doc_id: d1, quote: macet, code: capital, valence: negative, note: clear}\n",
     "        - {doc_id: d1, quote: macet, valence: [negative]}\n", CodebookError,
     "`valence` of an example of coding_rules.valence must be text"),
    ("        - {doc_id: d1, quote: macet, code: capital, valence: negative, note: clear}\n",
     "        - {doc_id: d1, quote: macet, valence: negative, note: {a: 1}}\n", CodebookError,
     "`note` of an example of coding_rules.valence must be text, not a mapping"),
    ("        - {doc_id: d1, quote: macet, code: capital, valence: negative, note: clear}\n",
     "        - {doc_id: [d1], quote: macet, valence: negative}\n", CodebookError,
     "needs `doc_id:`"),
    ("    - rule: Macet is negative.\n", "    - rule: [Macet]\n", CodebookError,
     "must be a mapping with `rule:`"),
    ('  - {version: "1.0", date: 2024-01-01, change: first}\n',
     '  - {version: ["1.0"], date: 2024-01-01, change: first}\n', CodebookError,
     "must be a quoted string"),
    ('  - {version: "1.0", date: 2024-01-01, change: first}\n',
     '  - {version: "1.0", date: [2024], change: first}\n', CodebookError,
     "must be an ISO date"),
    ('  - {version: "1.0", date: 2024-01-01, change: first}\n',
     '  - {version: "1.0", date: 2024-01-01, change: {a: 1}}\n', CodebookError,
     "needs `change:`"),
    ("actors:\n  Pak Harun: capital\n", "actors: [Pak Harun]\n", CodebookError,
     "`actors` must map names to code ids"),
    ("  - id: capital\n", "  - id: [capital]\n", CodebookError, "invalid code id ['capital']"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c[1].strip()[:30]}"
                                              for i, c in enumerate(CASES)])
def test_wrong_type_is_a_codebook_error_naming_the_line(tmp_path: Path,
                                                         case: tuple[Any, ...]) -> None:
    old, new, error, words = case[:4]
    at = case[4] if len(case) > 4 else new.rstrip("\n").rsplit("\n", 1)[-1]
    text = replaced(old, new)
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    cb, problems = check_codebook(path)
    assert cb is None
    exc = next((p for p in problems if words in str(p)), None)
    assert exc is not None, [str(p) for p in problems]
    assert type(exc) is error
    assert exc.path == str(path) and exc.line is not None
    assert str(exc).startswith(f"{path}:{exc.line}: ")
    assert exc.line == line_of(text, at), (str(exc), at)


def test_parent_list_used_to_raise_type_error() -> None:
    """The reported case: ``parent: [a]`` raised ``TypeError: unhashable type: 'list'``."""
    text = "codes:\n  - id: a\n    label: A\n  - id: b\n    label: B\n    parent: [a]\n"
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "cb.yaml")
    assert type(info.value) is CodebookError
    assert str(info.value).startswith("cb.yaml:6: `parent` of code 'b'")


def test_actor_list_used_to_raise_type_error() -> None:
    text = "codes:\n  - id: a\n    label: A\nactors:\n  Pak X: [a]\n  Ibu Y: a\n"
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "cb.yaml")
    assert type(info.value) is CodebookError
    assert str(info.value).startswith("cb.yaml:5: actor 'Pak X' must name one code id")


def test_several_wrong_types_are_all_listed() -> None:
    text = replaced("    parent: capital\n", "    parent: [capital]\n").replace(
        "  Pak Harun: capital\n", "  Pak Harun: [capital]\n").replace(
        "name: tiny\n", "name: {a: 1}\n")
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "cb.yaml")
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [2, 4, line_of(text, "parent: [capital]")]
    assert "3 problems" in str(info.value)


# --------------------------------------------------------------------------- fuzzers
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(), st.text(max_size=8),
    st.dates(), st.sampled_from(["capital", "factor", "#1b9e77", "positive", "modal", "en"]))
_KEYS = st.sampled_from([
    "id", "parent", "kind", "label", "definition", "use_when", "not_when", "examples",
    "colour", "color", "cues", "phrases", "lemmas", "patterns", "persons", "positive",
    "negative", "memo", "en", "version", "date", "change", "rule", "doc_id", "quote", "code",
    "valence", "note", "codes", "actors", "changelog", "coding_rules", "name", "description",
    "LOWER", "LEMMA", "IN", "OP", "unit"])
_TREE = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=25)
_CODE = st.dictionaries(_KEYS, _TREE, max_size=6).map(
    lambda d: {"id": "capital", "label": "Capital", **d})
_CODEBOOK = st.fixed_dictionaries(
    {"codes": st.lists(st.one_of(_CODE, _TREE), max_size=4)},
    optional={"actors": _TREE, "changelog": _TREE, "coding_rules": _TREE, "name": _TREE,
              "version": _TREE, "description": _TREE})


def _result_or_qual_error(text: str) -> None:
    try:
        cb = parse_codebook(text, "cb.yaml")
    except QualError as exc:
        assert exc.path == "cb.yaml" or all(p.path == "cb.yaml" for p in exc.problems)
        return
    assert isinstance(cb, Codebook)
    for code in cb:  # every field has the type records promise
        assert isinstance(code.label_en, str) and isinstance(code.definition, str)
        assert all(isinstance(e, str) for e in code.examples)
        assert code.parent is None or code.parent in cb


@FUZZ
@given(st.one_of(_CODEBOOK, _TREE))
def test_fuzz_random_structures(data: Any) -> None:
    _result_or_qual_error(yaml.safe_dump(data, allow_unicode=True))


_VALUES = ["[a]", "{a: 1}", "1", "~", "true", "[[x]]", "2004-02-30", "!!binary eHg=", "&x [1]",
           "*x", "'", "- a", "{IN: [[a]]}", "[{LOWER: [x]}]", "!!set {a}", "-1e400", "''"]


@FUZZ
@given(st.data())
def test_fuzz_mutations_of_the_real_codebook(data: st.DataObject) -> None:
    lines = REAL.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "duplicate", "value", "cut", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":")[0] + ": " + data.draw(st.sampled_from(_VALUES))
        elif op == "cut":
            lines = lines[:i]
        elif op == "indent":
            lines[i] = "  " + lines[i]
    _result_or_qual_error("\n".join(lines))


# --------------------------------------------------------------------------- CLI
def test_cli_check_bad_codebook(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "d1.txt").write_text(
        "---\nid: d1\ngroup: A\nvillage: V\nsource_type: interview\ninformant_role: member\n"
        "informant: Ibu A\ndate: 2004\n---\nP: Apa?\nI: Modal bertambah.\n", encoding="utf-8")
    path = tmp_path / "codebook.yaml"
    path.write_text(replaced("    parent: capital\n", "    parent: [capital]\n").replace(
        "  Pak Harun: capital\n", "  Pak Harun: [capital]\n"), encoding="utf-8")
    proc = run_cli("check", folder, "--codebook", path, timeout=120)
    assert re.search(rf"{re.escape(str(path))}:4: actor 'Pak Harun' must name one code id",
                     proc.stderr)
    assert f"{path}:{line_of(BASE, 'parent: capital')}: `parent` of code 'capital.loan' must be the id of one code" \
        in proc.stderr
    assert "TypeError" not in proc.stderr


def test_load_codebook_real_file_still_loads() -> None:
    cb = load_codebook(ROOT / "codebook.yaml")
    assert len(cb) > 20 and cb.version
