"""Hostile input, family "CSV": corpus CSV files and codings CSV files.

Before issue 13: a corpus CSV whose first data row had more fields than the header became a
pandas MultiIndex (``TypeError``; later, silently shifted columns); the codings CSV reader
read such a row as if its first field were an index (``unknown document 'a'``); an empty file
escaped as pandas' ``EmptyDataError``; a codings CSV with ``start`` but no ``end`` ended in
``KeyError: 'end'``; no row or size limit; and the delimiter sniffer was quadratic (a 60 kB
first chunk of quotes and line breaks took 80 s).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import db_dump, peak_rss, run_cli
from conftest_project import new_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual import limits
from uppks_qual.corpus import check_corpus, load_corpus
from uppks_qual.errors import CorpusError, ImportProblem, LimitError, QualError
from uppks_qual.interop.csvio import read_codings_csv, read_table
from uppks_qual.textio import read_csv_table, sniff_delimiter

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
HEADER = "doc_id,group,village,source_type,informant_role,informant,date,speaker,text\n"
ROW = "d1,A,V,interview,member,Ibu A,2004-03-01,{speaker},{text}\n"
MiB = 2**20


def corpus_csv(tmp_path: Path, text: str, name: str = "u.csv") -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path) -> QualError:
    corpus, problems = check_corpus(path.parent)
    assert corpus is None and len(problems) == 1, problems
    return problems[0]


def assert_at(exc: QualError, cls: type[QualError], path: Path, line: int | None) -> None:
    assert type(exc) is cls, (type(exc), str(exc))
    assert exc.path == str(path)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(exc).startswith(where), str(exc)


# --------------------------------------------------------------------------- corpus CSV
def test_corpus_csv_first_row_with_extra_fields(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + ROW.format(speaker="P", text="Apa?,extra,more"))
    exc = problem(path)
    assert_at(exc, CorpusError, path, 2)
    assert "this row has 11 fields but the header has 9 (read with the comma (',') as " \
           "delimiter); quote values that contain the delimiter" in str(exc)


def test_corpus_csv_later_row_with_extra_fields(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + ROW.format(speaker="P", text="Apa?")
                      + ROW.format(speaker="I", text='"Ya, betul"') + "\n"
                      + ROW.format(speaker="I", text="Ya, betul"))
    assert_at(problem(path), CorpusError, path, 5)  # the blank line 4 is skipped


def test_corpus_csv_short_row(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + "d1,A,V,interview\n")
    exc = problem(path)
    assert_at(exc, CorpusError, path, 2)
    assert "has 4 fields but the header has 9" in str(exc)


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_corpus_csv_empty(tmp_path: Path, text: str) -> None:
    path = corpus_csv(tmp_path, text)
    exc = problem(path)
    assert_at(exc, CorpusError, path, 1)
    assert "the CSV file is empty: it needs a header row naming its columns" in str(exc)


@pytest.mark.parametrize("header, words", [
    (HEADER.replace("group", "text"), "column 'text' appears twice in the header"),
    (HEADER.replace(",group", ",,group"), "column 2 of the header of the CSV file has no name"),
])
def test_corpus_csv_bad_header(tmp_path: Path, header: str, words: str) -> None:
    path = corpus_csv(tmp_path, header)
    exc = problem(path)
    assert_at(exc, CorpusError, path, 1)
    assert words in str(exc)


def test_corpus_csv_multiline_quoted_text_keeps_row_lines(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + ROW.format(speaker="P", text='"Apa\n\nkabar?"')
                      + ROW.format(speaker="X", text="Ya").replace("interview", "intervew")
                      .replace("d1,", "d2,", 1))
    exc = problem(path)
    assert str(exc).startswith(f"{path}:5: source_type 'intervew'")  # row 2 starts on line 5


def test_corpus_csv_bad_quoting(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + ROW.format(speaker="P", text='"Apa" kabar?"'))
    exc = problem(path)
    assert_at(exc, CorpusError, path, 2)
    assert "malformed CSV (read with the comma (',') as delimiter)" in str(exc)


def test_corpus_csv_row_limit(tmp_path: Path) -> None:
    rows = "".join(ROW.format(speaker="I", text=f"Kalimat {i}.") for i in range(30))
    path = corpus_csv(tmp_path, HEADER + rows)
    assert len(load_corpus(path.parent)["d1"].text) > 100
    with limits.override(max_csv_rows=20):
        exc = problem(path)
    assert_at(exc, LimitError, path, 22)
    assert "number of CSV rows 21 exceeds the limit max_csv_rows=20" in str(exc)


def test_hostile_first_chunk_is_sniffed_fast(tmp_path: Path) -> None:
    """The standard library's csv.Sniffer took 80 s on this first chunk."""
    path = corpus_csv(tmp_path, "doc_id;text\n" + '"\n' * 30_000)
    start = time.perf_counter()
    exc = problem(path)
    assert time.perf_counter() - start < 5
    assert type(exc) is CorpusError and "semicolon" in str(exc)


@pytest.mark.parametrize("sample, sep", [
    ("doc_id;group;text\nd1;A;Halo, apa kabar\n", ";"),
    ("doc_id\tgroup\ttext\n", "\t"),
    ('"doc;id",group,text\n', ","),
    ("doc_id\n", ","),
    ("", ","),
])
def test_sniff_delimiter_reads_the_header(sample: str, sep: str) -> None:
    assert sniff_delimiter(sample) == sep


def test_cli_check_bad_corpus_csv(tmp_path: Path) -> None:
    path = corpus_csv(tmp_path, HEADER + ROW.format(speaker="P", text="Apa?,extra"))
    corpus_csv(tmp_path, "", name="empty.csv")
    proc = run_cli("check", path.parent, "--codebook", Path("codebook.yaml").resolve(),
                   timeout=120)
    assert f"{path}:2: this row has 10 fields but the header has 9" in proc.stderr
    assert f"{path.parent / 'empty.csv'}:1: the CSV file is empty" in proc.stderr
    assert "EmptyDataError" not in proc.stderr and "ParserWarning" not in proc.stderr


# --------------------------------------------------------------------------- codings CSV
TEXTS = {"d1": "Modal kami bertambah. Ketua rajin datang."}


def codings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codings.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_codings_csv_empty(tmp_path: Path) -> None:
    path = codings(tmp_path, "")
    with pytest.raises(ImportProblem) as info:
        read_codings_csv(path, texts=TEXTS, coder="ana")
    assert_at(info.value, ImportProblem, path, 1)
    assert "the codings CSV is empty" in str(info.value)


@pytest.mark.parametrize("header, has, lacks", [
    ("doc_id,code_id,start\n", "start", "end"),
    ("doc_id,code_id,start,quote\n", "start", "end"),
    ("doc_id,code_id,end\n", "end", "start"),
])
def test_codings_csv_start_without_end(tmp_path: Path, header: str, has: str,
                                       lacks: str) -> None:
    path = codings(tmp_path, header + "d1,capital,0" + ",x" * (header.count(",") - 2) + "\n")
    with pytest.raises(ImportProblem) as info:
        read_codings_csv(path, texts=TEXTS, coder="ana")
    assert_at(info.value, ImportProblem, path, 1)
    assert f"has a `{has}` column but no `{lacks}` column" in str(info.value)
    assert info.value.column == lacks


def test_codings_csv_row_with_extra_fields(tmp_path: Path) -> None:
    path = codings(tmp_path, "doc_id,code_id,start,end\nd1,capital,0,5,9\n")
    with pytest.raises(ImportProblem) as info:
        read_codings_csv(path, texts=TEXTS, coder="ana")
    assert_at(info.value, ImportProblem, path, 2)
    assert "this row has 5 fields but the header has 4" in str(info.value)
    assert "unknown document" not in str(info.value)  # it was read shifted before


def test_codings_csv_row_limit(tmp_path: Path) -> None:
    rows = "".join(f"d1,capital,{i},{i + 3}\n" for i in range(10))
    path = codings(tmp_path, "doc_id,code_id,start,end\n" + rows)
    assert len(read_codings_csv(path, texts=TEXTS, coder="ana")) == 10
    with limits.override(max_csv_rows=5), pytest.raises(LimitError) as info:
        read_codings_csv(path, texts=TEXTS, coder="ana")
    assert_at(info.value, LimitError, path, 7)


def test_codings_csv_bad_rows_name_their_lines(tmp_path: Path) -> None:
    path = codings(tmp_path, 'doc_id,code_id,quote\nd1,capital,"Modal\nkami"\nd9,capital,x\n')
    with pytest.raises(ImportProblem) as info:
        read_codings_csv(path, texts=TEXTS, coder="ana")
    assert f"{path}:2: quote 'Modal\\nkami' not found" in str(info.value)
    assert f"{path}:4: unknown document 'd9'" in str(info.value)


def test_csv_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "codings.csv"
    with path.open("wb") as handle:
        handle.write(b"doc_id,code_id,start,end\n")
        handle.truncate(600 * MiB)
    code = f"""from uppks_qual.interop.csvio import read_codings_csv
try:
    read_codings_csv({str(path)!r}, texts={{}}, coder="ana")
except Exception as exc:
    print(type(exc).__name__, exc)
"""
    grew, proc = peak_rss(code, limit_bytes=2 * 2**30, timeout=120)
    assert proc.stdout.startswith(f"LimitError {path}: file size (bytes) 629,145,600 exceeds "
                                  "the limit max_file_bytes"), proc.stdout + proc.stderr
    assert grew < 20 * MiB, grew
    with limits.override(max_file_bytes=10), pytest.raises(LimitError):
        read_table(codings(tmp_path, "passage_id\nd1:0:5\n"))


def test_import_codings_bad_csv_leaves_the_store_unchanged(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p.uqp")
    doc = project.documents()["doc_id"].iloc[0]
    project.close()
    before = db_dump(tmp_path / "p.uqp")
    for i, text in enumerate(("", "doc_id,code_id,start\n" + f"{doc},capital,0\n",
                              "doc_id,code_id,start,end\n"
                              + f"{doc},capital,0,5\n{doc},capital,0,5,7\n")):
        path = codings(tmp_path, text)
        with pytest.raises(ImportProblem):
            new = type(project).open(tmp_path / "p.uqp")
            try:
                new.import_codings(path, coder="ana")
            finally:
                new.close()
        assert db_dump(tmp_path / "p.uqp") == before
        if i == 2:
            proc = run_cli("import-codings", path, "--coder", "ana", "--project",
                           tmp_path / "p.uqp", timeout=120)
            assert f"error: {path}:3: this row has 5 fields but the header has 4" in proc.stderr
            assert db_dump(tmp_path / "p.uqp") == before


# --------------------------------------------------------------------------- fuzzers
_FIELD = st.one_of(st.sampled_from(["d1", "capital", "0", "5", "Modal", "", "x,y", '"',
                                    "\n", "9" * 30, "-1", "positive", "exact", "loose"]),
                   st.text(max_size=6))
_COLUMNS = st.lists(st.sampled_from(["doc_id", "code_id", "start", "end", "quote", "valence",
                                     "coder", "text", "match", "occurrence", "memo", "x", ""]),
                    min_size=0, max_size=7)


@FUZZ
@given(_COLUMNS, st.lists(st.lists(_FIELD, max_size=8), max_size=5), st.booleans())
def test_fuzz_codings_csv(tmp_path_factory: pytest.TempPathFactory, columns: list[str],
                          rows: list[list[str]], quoted: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
    if columns:
        writer.writerow(columns)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("fuzz") / "c.csv"
    path.write_text(buffer.getvalue() if quoted or rows else "", encoding="utf-8")
    try:
        out = read_codings_csv(path, texts=TEXTS, coder="ana")
    except QualError as exc:
        assert exc.path == str(path)
        return
    assert isinstance(out, pd.DataFrame)


@FUZZ
@given(st.lists(st.sampled_from([*'ab,;\t"\n\r ', "\ufeff", "d1", "doc_id"]),
                max_size=60).map("".join))
def test_fuzz_csv_table_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_text(text, encoding="utf-8")
    try:
        frame, how = read_csv_table(path, error=CorpusError)
    except QualError as exc:
        assert type(exc) in (CorpusError, LimitError) and exc.path == str(path)
        return
    assert frame.columns.is_unique and all(isinstance(c, str) and c for c in frame.columns)
    assert "delimiter" in how
