"""Hostile input, family "YAML": alias bombs, deep nesting, recursive aliases and odd tags in
the three YAML files uppks-qual reads (codebook, front matter, ``corpus.yaml``).

Every case asserts the exact error class and that the message names the file and line; the
alias bomb and the deep nesting must fail fast (the alias bomb used to hang ``uppks-qual
check``: 38 s at 7 levels, never returning at 9; 5,000 nested ``[`` raised RecursionError).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import peak_rss, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual import limits
from uppks_qual.codebook import load_codebook, parse_codebook
from uppks_qual.corpus import check_corpus, load_corpus, parse_document
from uppks_qual.errors import (
    CodebookError,
    CorpusError,
    FrontMatterError,
    LimitError,
    QualError,
)
from uppks_qual.manifest import read_manifest
from uppks_qual.textio import parse_yaml

FRONT = ("id: d1\ngroup: A\nvillage: V\nsource_type: interview\ninformant_role: member\n"
         "informant: Ibu A\ndate: 2004-03-01\n")
BODY = "P: Apa kabar?\nI: Baik, rapat tiap bulan.\n"
CODEBOOK = "version: 1\ncodes:\n  - id: a\n    label: A\n"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


def bomb(levels: int, *, indent: str = "", first: str = "a") -> str:
    """The "billion laughs": level i is a list of nine aliases to level i - 1 (9**levels
    values once expanded, from ~40 bytes per level)."""
    lines = [f"{indent}{first}0: &{first}0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*{first}{i - 1}"] * 9)
        lines.append(f"{indent}{first}{i}: &{first}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def document(front: str = FRONT, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


def corpus_folder(tmp_path: Path, text: str, name: str = "d1.txt") -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def assert_names(exc: QualError, path: Path | str, line: int | None) -> None:
    assert exc.path == str(path)
    assert str(path) in str(exc)
    if line is not None:
        assert exc.line == line, str(exc)
        assert f"{path}:{line}:" in str(exc)


# --------------------------------------------------------------------------- alias bombs
@pytest.mark.parametrize("levels", [7, 9, 30])
def test_alias_bomb_in_codebook_is_refused_fast(tmp_path: Path, levels: int) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK + bomb(levels), encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(LimitError) as info:
        load_codebook(path)
    assert time.perf_counter() - start < 5
    exc = info.value
    assert type(exc) is LimitError and exc.limit == "max_yaml_nodes"
    # level 6 (file line 5 + 6, 5,380,840 values) is the first anchor past one million values
    assert_names(exc, path, 5 + 6)
    assert "max_yaml_nodes" in str(exc) and "limits.override" in str(exc)


def test_alias_bomb_in_front_matter_meta_is_refused(tmp_path: Path) -> None:
    front = FRONT + "meta:\n" + bomb(9, indent="  ")
    folder = corpus_folder(tmp_path, document(front))
    start = time.perf_counter()
    corpus, problems = check_corpus(folder)
    assert time.perf_counter() - start < 10
    assert corpus is None and len(problems) == 1
    exc = problems[0]
    assert type(exc) is LimitError
    # front matter starts on file line 2; `meta:` is its 8th line, level 7 its 15th
    assert_names(exc, folder / "d1.txt", 2 + 14)


def test_alias_bomb_in_manifest_is_refused(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path, document())
    manifest = folder / "corpus.yaml"
    manifest.write_text("study:\n  title: x\nmask:\n  people:\n" + bomb(9, indent="    "),
                        encoding="utf-8")
    with pytest.raises(LimitError) as info:
        read_manifest(manifest)
    assert_names(info.value, manifest, 4 + 7)
    with pytest.raises(LimitError):
        load_corpus(folder)


def test_alias_bomb_costs_no_memory() -> None:
    code = f"""from uppks_qual.textio import parse_yaml; from uppks_qual.errors import LimitError
try:
    parse_yaml({bomb(12)!r}, "b.yaml")
except LimitError:
    print("refused")
"""
    grew, proc = peak_rss(code, limit_bytes=1 * 2**30, timeout=60)
    assert "refused" in proc.stdout, proc.stderr[-2000:]
    assert grew < 30 * 2**20, grew


def test_alias_below_the_limit_is_shared_not_copied(tmp_path: Path) -> None:
    """Six levels (531,441 values expanded) pass; the front matter builds each list once."""
    front = FRONT + "meta:\n" + bomb(6, indent="  ")
    parsed = parse_document(document(front), "d1.txt")
    meta = parsed.document.meta
    assert meta["a5"][0] is meta["a4"] and meta["a5"][8] is meta["a4"]
    assert len(json.dumps(meta)) > 9**6  # the expansion is bounded, so serialising is fine
    with limits.override(max_yaml_nodes=1000), pytest.raises(LimitError) as info:
        parse_document(document(front), "d1.txt")
    assert info.value.maximum == 1000 and "d1.txt:" in str(info.value)


def test_alias_of_a_long_text_is_refused_by_expanded_size() -> None:
    text = "a: &a " + "x" * 10_000 + "\nb: [" + ", ".join(["*a"] * 100) + "]\n"
    assert parse_yaml(text, "x.yaml").data["b"][99] == "x" * 10_000
    with limits.override(max_text_chars=500_000), pytest.raises(LimitError) as info:
        parse_yaml(text, "x.yaml")
    assert info.value.limit == "max_text_chars"
    assert_names(info.value, "x.yaml", 2)


@pytest.mark.parametrize("text, line", [
    ("a: &a [*a]\n", 1),
    ("a: &a\n  b: *a\n", 2),
    ("x: 1\na: &a\n  - [1, *a]\n", 3),
])
def test_recursive_alias_is_refused(text: str, line: int) -> None:
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "cb.yaml")
    assert type(info.value) is CodebookError
    assert_names(info.value, "cb.yaml", line)
    assert "recursive alias" in str(info.value) and "must not refer to itself" in str(info.value)


def test_recursive_alias_in_front_matter(tmp_path: Path) -> None:
    folder = corpus_folder(tmp_path, document(FRONT + "meta: &m\n  self: *m\n"))
    with pytest.raises(FrontMatterError) as info:
        load_corpus(folder)
    assert type(info.value) is FrontMatterError
    assert_names(info.value, folder / "d1.txt", 10)


# --------------------------------------------------------------------------- deep nesting
def test_deep_flow_nesting_in_front_matter(tmp_path: Path) -> None:
    front = FRONT + "meta: " + "[" * 5000 + "]" * 5000 + "\n"
    folder = corpus_folder(tmp_path, document(front))
    start = time.perf_counter()
    corpus, problems = check_corpus(folder)
    assert time.perf_counter() - start < 10
    assert corpus is None and [type(p) for p in problems] == [LimitError]
    exc = problems[0]
    assert exc.limit == "max_depth"
    assert_names(exc, folder / "d1.txt", 9)  # `meta:` is on file line 9
    assert "nesting depth 101" in str(exc)


def test_deep_block_nesting_in_codebook(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    nested = "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "end: 1\n"
    path.write_text(CODEBOOK + nested, encoding="utf-8")
    with pytest.raises(LimitError) as info:
        load_codebook(path)
    assert info.value.limit == "max_depth"
    assert_names(info.value, path, 5 + 100)


def test_deep_nesting_in_manifest(tmp_path: Path) -> None:
    path = tmp_path / "corpus.yaml"
    path.write_text("groups: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(LimitError) as info:
        read_manifest(path)
    assert_names(info.value, path, 1)


def test_depth_built_from_aliases_is_refused() -> None:
    """Each anchor is 60 deep (under the limit); aliases chain them to 600 levels."""
    lines = ["l0: &l0 " + "[" * 60 + "]" * 60]
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} " + "[" * 59 + f"*l{i - 1}" + "]" * 59)
    with pytest.raises(LimitError) as info:
        parse_yaml("\n".join(lines), "x.yaml", error=CorpusError)
    assert info.value.limit == "max_depth" and "expanded" in str(info.value)
    assert_names(info.value, "x.yaml", 2)


def test_depth_limit_can_be_raised_for_trusted_input() -> None:
    text = "a: " + "[" * 150 + "]" * 150
    with pytest.raises(LimitError):
        parse_yaml(text, "x.yaml")
    with limits.override(max_depth=200):
        data = parse_yaml(text, "x.yaml").data
    depth, value = 0, data["a"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 149
    with limits.override(max_depth=100_000), pytest.raises(LimitError) as info:
        parse_yaml("a: " + "[" * 5000 + "]" * 5000, "x.yaml")  # the parser's own limit
    assert "too deep" in str(info.value)


def test_yaml_text_over_the_size_limit_is_refused_before_parsing() -> None:
    text = CODEBOOK + "#" + "x" * 5000 + "\n"
    with limits.override(max_file_bytes=1000), pytest.raises(LimitError) as info:
        parse_codebook(text, "cb.yaml")
    assert info.value.limit == "max_file_bytes" and info.value.value == len(text)


def test_too_many_values_are_refused_while_parsing() -> None:
    text = "a: [" + ", ".join(["1"] * 5000) + "]\n"
    with limits.override(max_yaml_nodes=1000), pytest.raises(LimitError) as info:
        parse_yaml(text, "x.yaml")
    assert info.value.value == 1001 and "number of YAML values" in str(info.value)


# --------------------------------------------------------------------------- odd YAML
@pytest.mark.parametrize("text, line, words", [
    ("a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n", 3, "merge keys"),
    ("? [a, b]\n: c\n", 1, "must be a plain value"),
    ("a: 1\nb: !!timestamp soon\n", 2, "invalid value 'soon'"),
    ("a: !!bool maybe\n", 1, "invalid value 'maybe'"),
    ("a: 1\nn: " + "9" * 5000 + "\n", 2, "invalid value"),
    ("a: 2004-02-30\n", 1, "invalid value"),
    ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
    ("a: 1\nb: x\x1cy\n", 2, "U+001C is not allowed"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
])
def test_odd_yaml_is_a_codebook_error_naming_the_line(text: str, line: int,
                                                        words: str) -> None:
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "cb.yaml")
    assert type(info.value) is CodebookError
    assert_names(info.value, "cb.yaml", line)
    assert words in str(info.value)


def test_line_numbers_survive_aliases() -> None:
    doc = parse_yaml("base: &b\n  x: 1\n  y: 2\nother: *b\nlast: [*b]\n", "x.yaml")
    assert doc.data["other"] is doc.data["base"] is doc.data["last"][0]
    assert doc.line_of(doc.data["other"], "y") == 3  # where the anchored mapping is written
    assert doc.line_of(doc.data, "last") == 5


_KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                     st.floats(allow_nan=False), st.dates())
_DATA = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=30)


def _stringkeys(value: Any) -> Any:
    if isinstance(value, dict):
        return {("" if k is None else str(k)): _stringkeys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringkeys(v) for v in value]
    return value


@FUZZ
@given(_DATA)
def test_parse_yaml_builds_what_safe_load_builds(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    expected = yaml.safe_load(text)
    if isinstance(expected, dict) and len({str(k) for k in expected}) < len(expected):
        return  # keys 1 and "1" clash once keys are text: a duplicate-key error, tested above
    assert parse_yaml(text, "x.yaml").data == _stringkeys(expected)


_YAMLISH = st.lists(st.sampled_from([
    "[", "]", "{", "}", ":", ", ", "- ", "\n", "  ", "a", "b: ", "&a ", "*a", "&b ", "*b",
    "!!str ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ", "!!python/name:os.system ",
    "<<: ", "? ", "---\n", "...\n", "%YAML 1.1\n", "'", '"', "|\n", ">\n", "#", "\t", "1",
    "2004-02-30", "\x00", "\ufeff", "~", "\x85", "\u2028"]), max_size=60).map("".join)


@FUZZ
@given(st.one_of(_YAMLISH, st.text(max_size=120)))
def test_parse_yaml_fuzz_gives_data_or_a_qual_error(text: str) -> None:
    try:
        doc = parse_yaml(text, "x.yaml", error=CorpusError)
    except QualError as exc:
        assert exc.path == "x.yaml"
        return
    json.dumps(doc.data, default=str)  # whatever was built can be walked


# --------------------------------------------------------------------------- CLI
def _cli_folder(tmp_path: Path, front: str = FRONT) -> Path:
    return corpus_folder(tmp_path, document(front))


def _good_codebook(tmp_path: Path) -> Path:
    path = tmp_path / "good.yaml"
    path.write_text(CODEBOOK + "    cues: {phrases: [rapat]}\n", encoding="utf-8")
    return path


def test_cli_check_alias_bomb_codebook_fails_fast(tmp_path: Path) -> None:
    folder = _cli_folder(tmp_path)
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK + bomb(9), encoding="utf-8")
    start = time.perf_counter()
    proc = run_cli("check", folder, "--codebook", path, timeout=60)
    assert time.perf_counter() - start < 60
    assert re.search(rf"{re.escape(str(path))}:11: number of YAML values once aliases are "
                     r"expanded .* exceeds the limit max_yaml_nodes", proc.stderr)


def test_cli_check_alias_bomb_front_matter_fails_fast(tmp_path: Path) -> None:
    folder = _cli_folder(tmp_path, FRONT + "meta:\n" + bomb(9, indent="  "))
    proc = run_cli("check", folder, "--codebook", _good_codebook(tmp_path), timeout=60)
    assert f"{folder / 'd1.txt'}:16:" in proc.stderr and "max_yaml_nodes" in proc.stderr


def test_cli_check_deep_nesting_front_matter(tmp_path: Path) -> None:
    folder = _cli_folder(tmp_path, FRONT + "meta: " + "[" * 5000 + "]" * 5000 + "\n")
    proc = run_cli("check", folder, "--codebook", _good_codebook(tmp_path), timeout=60)
    assert f"{folder / 'd1.txt'}:9: YAML nesting depth 101 exceeds the limit max_depth" \
        in proc.stderr
    assert "RecursionError" not in proc.stderr


def test_cli_check_deep_nesting_codebook(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK + "deep: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    proc = run_cli("check", _cli_folder(tmp_path), "--codebook", path, timeout=60)
    assert f"{path}:5: YAML nesting depth" in proc.stderr


def test_a_date_keeps_its_type() -> None:
    """Dates stay dates (front matter turns them into ISO text itself)."""
    assert parse_yaml("d: 2004-03-01\n", "x.yaml").data == {"d": dt.date(2004, 3, 1)}
