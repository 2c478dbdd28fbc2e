"""Hostile input, family "corpus files": encodings, binary files, huge and long texts, and a
fuzzer over the front-matter parser.

Before issue 13: a UTF-16 file without a byte-order mark was reported as "no YAML front
matter" and a UTF-16 ``.md`` was skipped as if it were a README; a 10 MB observation note in
one paragraph cost 1.25 GB to load (the paragraph regex kept ~115 bytes of backtracking state
per character); any turn or paragraph over 1,000,000 characters failed inside spaCy (``[E088]
Text of length ... exceeds maximum``) without naming the document.
"""

from __future__ import annotations

import functools
import random
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from conftest import ROOT, db_dump, peak_rss, run_cli
from conftest_project import tiny_codebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import uppks_qual.corpus as corpus_module
from uppks_qual import limits
from uppks_qual.corpus import (
    ParsedDocument,
    check_corpus,
    load_corpus,
    parse_document,
    split_units,
)
from uppks_qual.errors import CorpusError, EncodingProblem, LimitError, QualError
from uppks_qual.nlp import get_nlp
from uppks_qual.project import Project
from uppks_qual.records import Document
from uppks_qual.textio import paragraph_spans, read_text, sentence_spans

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
FRONT = ("---\nid: {doc_id}\ngroup: A\nvillage: V\nsource_type: {kind}\n"
         "informant_role: member\ninformant: {informant}\ndate: 2004-03-01\n---\n")
WORDS = ("rapat kelompok modal pinjaman ketua anggota angsuran lancar macet kas bulanan usaha "
         "dagang").split()
MiB = 2**20


def front(doc_id: str = "d1", kind: str = "interview") -> str:
    informant = "Ibu A" if kind == "interview" else '"-"'
    return FRONT.format(doc_id=doc_id, kind=kind, informant=informant)


@functools.cache
def sentences(n_chars: int, sep: str = " ", seed: int = 1) -> str:
    """Indonesian-looking sentences joined by ``sep``, about ``n_chars`` long."""
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_chars:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14)))
        sentence = words.capitalize() + "."
        out.append(sentence)
        size += len(sentence) + len(sep)
    return sep.join(out)


def assert_encoding(exc: QualError, path: Path, encoding: str) -> None:
    assert type(exc) is EncodingProblem
    assert exc.path == str(path) and str(exc).startswith(f"{path} (byte 0): ")
    assert f"the file is {encoding}" in str(exc) and "not UTF-8" in str(exc)
    assert f"iconv -f {encoding.split()[0]} -t UTF-8" in str(exc)


# --------------------------------------------------------------------------- encodings
UTF16_CASES = [
    ("d1.txt", "utf-16-le", "UTF-16 (little-endian)"),
    ("d1.txt", "utf-16-be", "UTF-16 (big-endian)"),
    ("d1.txt", "utf-16", "UTF-16 (little-endian)"),
    ("d1.md", "utf-16-le", "UTF-16 (little-endian)"),
    ("d1.md", "utf-16", "UTF-16 (little-endian)"),
    ("d1.txt", "utf-32-le", "UTF-32 (little-endian)"),
    ("d1.md", "utf-32", "UTF-32 (little-endian)"),
]


@pytest.mark.parametrize("name, codec, encoding", UTF16_CASES,
                         ids=[f"{n}-{c}" for n, c, _ in UTF16_CASES])
def test_utf16_document_is_an_encoding_problem_not_skipped(tmp_path: Path, name: str,
                                                           codec: str, encoding: str) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / name).write_bytes((front() + "P: Apa kabar?\nI: Baik.\n").encode(codec))
    (folder / "ok.txt").write_text(front("d2") + "I: Baik.\n", encoding="utf-8")
    corpus, problems = check_corpus(folder)
    assert corpus is None and len(problems) == 1, problems  # reported, not skipped
    assert_encoding(problems[0], folder / name, encoding)
    if "bom" not in codec and codec.endswith(("le", "be")):
        assert "without a byte-order mark" in str(problems[0])


def test_utf16_is_not_called_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "d1.txt"
    path.write_bytes((front() + "I: Baik.\n").encode("utf-16-le"))
    with pytest.raises(EncodingProblem) as info:
        load_corpus(path)
    assert "front matter" not in str(info.value)
    assert_encoding(info.value, path, "UTF-16 (little-endian)")


@pytest.mark.parametrize("data, offset", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, 8),
    (b"---\nid: d1\x00\n---\nI: x\n", 10),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n\x00\x01\x02", 23),
])
def test_binary_file_is_an_encoding_problem(tmp_path: Path, data: bytes, offset: int) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "scan.txt").write_bytes(data)
    corpus, problems = check_corpus(folder)
    assert corpus is None and [type(p) for p in problems] == [EncodingProblem]
    exc = problems[0]
    assert exc.path == str(folder / "scan.txt") and exc.offset == offset
    assert str(exc).startswith(f"{exc.path} (byte {offset}): a NUL byte: this is not a "
                               "text file")


def test_a_device_is_refused_from_its_first_bytes() -> None:
    """/dev/zero named as a document: refused after 64 KiB, not after max_file_bytes."""
    start = time.perf_counter()
    with pytest.raises(EncodingProblem) as info:
        load_corpus("/dev/zero")
    assert time.perf_counter() - start < 5
    assert str(info.value).startswith("/dev/zero (byte 0): a NUL byte: this is not a text")


def test_cli_check_utf16_and_binary(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_bytes((front("a") + "I: Baik.\n").encode("utf-16"))
    (folder / "b.txt").write_bytes((front("b") + "I: Baik.\n").encode("utf-16-le"))
    (folder / "c.txt").write_bytes(b"\x00\x01\x02binary")
    proc = run_cli("check", folder, "--codebook", ROOT / "codebook.yaml", timeout=120)
    assert f"{folder / 'a.md'} (byte 0): the file is UTF-16 (little-endian) text with a " \
           "byte-order mark, not UTF-8" in proc.stderr
    assert f"{folder / 'b.txt'} (byte 0): the file is UTF-16 (little-endian) text without " \
           "a byte-order mark" in proc.stderr
    assert f"{folder / 'c.txt'} (byte 0): a NUL byte" in proc.stderr
    assert "3 problem(s) found" in proc.stderr


# --------------------------------------------------------------------------- size limits
def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    """A 600 MiB sparse file: refused from its size, without reading (or paging) it in."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(600 * MiB)
    code = f"""from uppks_qual.corpus import check_corpus
corpus, problems = check_corpus({str(path)!r})
print(type(problems[0]).__name__, problems[0])
"""
    grew, proc = peak_rss(code, limit_bytes=2 * 2**30, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith(f"LimitError {path}: file size (bytes) 629,145,600 exceeds "
                                  "the limit max_file_bytes=536,870,912")
    assert grew < 20 * MiB, grew


def test_document_over_max_text_chars_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d1.txt"
    path.write_text(front() + "I: " + sentences(5000) + "\n", encoding="utf-8")
    with limits.override(max_text_chars=4000), pytest.raises(LimitError) as info:
        load_corpus(path)
    exc = info.value
    assert type(exc) is LimitError and exc.limit == "max_text_chars"
    assert str(exc).startswith(f"{path}:10: length of document 'd1' (characters) ")
    assert exc.doc_id == "d1"


@pytest.mark.parametrize("layout", ["one paragraph", "many paragraphs", "one turn"])
def test_loading_a_10mb_note_stays_small(tmp_path: Path, layout: str) -> None:
    """Loading a 10 MB document costs a small multiple of its size (1.2 GB before, for one
    paragraph); measured in a fresh process under a 2 GiB address-space limit."""
    kind, body = {
        "one paragraph": ("observation", sentences(10 * MiB)),
        "many paragraphs": ("observation", sentences(10 * MiB, "\n\n")),
        "one turn": ("interview", "P: Apa kabar?\nI: " + sentences(10 * MiB)),
    }[layout]
    path = tmp_path / "big.txt"
    path.write_text(front("big", kind) + body + "\n", encoding="utf-8")
    size = path.stat().st_size
    code = f"""from uppks_qual.corpus import load_corpus
corpus = load_corpus({str(path)!r})
print(len(corpus["big"].text))
"""
    grew, proc = peak_rss(code, limit_bytes=2 * 2**30, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert grew < 12 * size, f"{layout}: {grew / MiB:.0f} MiB for {size / MiB:.0f} MiB"


def test_sentences_of_a_10mb_paragraph_stay_small(tmp_path: Path) -> None:
    """Turns, paragraphs and sentences of a 10 MB one-paragraph note (what a project stores):
    spaCy sees pieces of SENTENCE_CHUNK characters, never the whole paragraph."""
    path = tmp_path / "big.txt"
    path.write_text(front("big", "observation") + sentences(10 * MiB) + "\n", encoding="utf-8")
    size = path.stat().st_size
    code = f"""from uppks_qual.corpus import load_corpus; from uppks_qual.nlp import get_nlp; get_nlp()
corpus = load_corpus({str(path)!r})
segments = corpus.iter_segments("big")
print(len(segments))
"""
    grew, proc = peak_rss(code, limit_bytes=2 * 2**30, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[0]) > 100_000
    assert grew < 25 * size, f"{grew / MiB:.0f} MiB for {size / MiB:.0f} MiB"


def test_a_paragraph_over_a_million_characters_loads_and_autocodes(tmp_path: Path) -> None:
    """1.2M characters in one paragraph used to fail inside spaCy ([E088])."""
    body = sentences(1_200_000)
    path = tmp_path / "long.txt"
    path.write_text(front("long", "observation") + body + "\n", encoding="utf-8")
    corpus = load_corpus(path)
    project = Project.create(tmp_path / "p.uqp", corpus=corpus, codebook=tiny_codebook())
    result = project.autocode()
    assert result["documents"] == 1 and result["codings"] > 1000
    segments = project.segments()
    units = segments[segments["kind"] == "paragraph"]
    assert len(units) == 1 and units["end"].iloc[0] - units["start"].iloc[0] > 1_000_000
    assert (segments["kind"] == "sentence").sum() > 10_000


def test_autocode_failure_leaves_the_store_unchanged_for_a_limit(tmp_path: Path) -> None:
    """A document refused by a limit is refused before the project is touched."""
    good = parse_document(front("d1") + "I: Modal bertambah.\n", "d1.txt").document
    project = Project.create(tmp_path / "p.uqp", corpus=[good], codebook=tiny_codebook())
    project.close()
    before = db_dump(tmp_path / "p.uqp")
    path = tmp_path / "d2.txt"
    path.write_text(front("d2") + "I: " + sentences(3000) + "\n", encoding="utf-8")
    with limits.override(max_text_chars=1000), pytest.raises(LimitError):
        Project.open(tmp_path / "p.uqp").add_documents(load_corpus(path))
    assert db_dump(tmp_path / "p.uqp") == before


# --------------------------------------------------------------------------- equivalences
_OLD_PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")


def old_paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list:
    """The regex paragraph splitter before issue 13 (quadratic memory), for comparison."""
    end = len(text) if end is None else end
    out = []
    for m in _OLD_PARAGRAPH.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e))
    return out


_PARA_TEXT = st.text(st.sampled_from(list("ab.\n\n\n \t\r\x0b\x0c\u00a0\u2028\u3000")),
                     max_size=60)


@FUZZ
@given(_PARA_TEXT, st.integers(0, 70), st.integers(0, 70))
def test_paragraph_spans_equals_the_old_regex(text: str, start: int, length: int) -> None:
    start = min(start, len(text))
    end = min(len(text), start + length)
    assert paragraph_spans(text) == old_paragraph_spans(text)
    assert paragraph_spans(text, start, end) == old_paragraph_spans(text, start, end)


def test_paragraph_spans_is_linear_in_memory() -> None:
    code = """from uppks_qual.textio import paragraph_spans; text = "Rapat tiap bulan. " * 600_000
print(paragraph_spans(text))
"""
    grew, proc = peak_rss(code, limit_bytes=1 * 2**30, timeout=60)
    assert proc.stdout.startswith("[(0, 10799999)]"), proc.stderr[-2000:]
    assert grew < 5 * MiB, grew  # the regex needed ~1.2 GB for these 10.8 MB


def whole_unit_sentences(parsed: ParsedDocument) -> list[tuple[int, int]]:
    """Sentence spans as the loader cut them before (one spaCy Doc per unit)."""
    nlp = get_nlp()
    text, out = parsed.document.text, []
    with nlp.select_pipes(enable=["sentencizer"]):
        for unit, sdoc in zip(parsed.units, nlp.pipe(u.text for u in parsed.units),
                              strict=True):
            out.append((unit.start, unit.end))
            out += sentence_spans(text, unit.start,
                                  [(x.start_char, x.end_char) for x in sdoc.sents])
    return out


PIECES = ["Rapat", "tiap", "bulan.", "Ketua", "datang!", "dll.", "No.", "3.", "Rp.", "5.000",
          "(ya).", '"Betul."', "[tertawa]", "...", "?", "Apa?!", "kas", "x.y", "A.", "—",
          "2004.", "'oke'.", "macet.)", "Pak", "U.S.A.", "(", "«ya»"]


@pytest.mark.parametrize("seed", range(6))
def test_long_units_are_cut_into_the_same_sentences(monkeypatch: pytest.MonkeyPatch,
                                                    seed: int) -> None:
    """Cutting a long unit into pieces changes no sentence boundary (pieces of 40-120
    characters here, of SENTENCE_CHUNK in use)."""
    rng = random.Random(seed)
    checked = 0
    for _ in range(40):
        words = [rng.choice(PIECES) for _ in range(rng.randint(20, 150))]
        body = "".join(w + rng.choice([" ", " ", " ", "  ", "\n"]) for w in words).strip()
        doc = Document("d", body, "", "", "observation", "member", "", "2004")
        parsed = ParsedDocument(doc, tuple(split_units(body, interview=False, doc_id="d")))
        monkeypatch.setattr(corpus_module, "SENTENCE_CHUNK", rng.choice([40, 80, 120]))
        cuts = [a for u in parsed.units for a, _ in
                list(corpus_module._pieces(body, u.start, u.end))[1:]]
        if not cuts or any(not (body[a - 1] == " " and body[a].isalnum()) for a in cuts):
            continue  # no cut, or a cut where no space was found (only in garbage text)
        checked += 1
        got = [(s.start, s.end) for s in corpus_module.segment_document(parsed)]
        assert got == whole_unit_sentences(parsed), body
    assert checked >= 10


# --------------------------------------------------------------------------- fuzzers
DOCS = sorted((ROOT / "data" / "interviews").rglob("*.txt"))
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10), st.dates(),
                    st.sampled_from(["interview", "observation", "member", "2004", "-", "P"]))
_KEY = st.sampled_from(["id", "group", "village", "source_type", "informant_role",
                        "informant", "date", "speakers", "meta", "attributes", "title", "P",
                        "B", "name", "role", "x"])
_TREE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_KEY, inner, max_size=4)), max_leaves=15)
_FRONT_LINES = st.lists(st.tuples(_KEY, st.sampled_from([
    "d1", "A", "interview", "member", "Ibu A", "2004-03-01", "[a, b]", "{P: x}", "&a [1]",
    "*a", "!!binary eHg=", "2004-02-30", "'", "[" * 30, "{name: [x]}", "-", "|", "\x1c",
    "{B: {name: Buya, role: [x]}}", "{x: &b [*b]}"])), max_size=9).map(
    lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs))
_BODY = st.one_of(st.text(max_size=80), st.sampled_from([
    "P: Apa?\nI: Ya.", "I: Ya.\n\nB: Betul.", "[x]\nI: y", "Satu.\n\nDua.", "", "X: y",
    "B: Siapa?"]))


def _document_or_qual_error(text: str) -> None:
    try:
        parsed = parse_document(text, "d.txt")
    except QualError as exc:
        assert exc.path in ("d.txt", None)
        return
    assert isinstance(parsed.document, Document)
    assert all(parsed.document.text[u.start:u.end] == u.text for u in parsed.units)


@FUZZ
@given(_FRONT_LINES, _BODY)
def test_fuzz_front_matter_lines(lines: str, body: str) -> None:
    _document_or_qual_error(f"---\n{lines}---\n{body}")


@FUZZ
@given(st.dictionaries(_KEY, _TREE, max_size=8), _BODY)
def test_fuzz_front_matter_structures(fields: dict, body: str) -> None:
    import yaml

    base = {"id": "d1", "group": "A", "village": "V", "source_type": "interview",
            "informant_role": "member", "informant": "Ibu A", "date": "2004"}
    text = yaml.safe_dump({**base, **fields}, allow_unicode=True)
    _document_or_qual_error(f"---\n{text}---\n{body}")


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    path_data = b"---\n" + data
    for raw in (data, path_data):
        try:
            text = read_text_bytes(raw)
        except QualError:
            continue
        _document_or_qual_error(text)


def read_text_bytes(data: bytes) -> str:
    from uppks_qual.textio import decode

    return decode(data, "d.txt")


@FUZZ
@given(st.integers(0, len(DOCS) - 1), st.integers(0, 4000), st.text(max_size=6),
       st.booleans())
def test_fuzz_truncated_real_documents(i: int, cut: int, junk: str, keep_rest: bool) -> None:
    text = read_text(DOCS[i])
    _document_or_qual_error(text[:cut] + junk + (text[cut:] if keep_rest else ""))


def test_loader_is_fast_on_a_hostile_front_matter() -> None:
    start = time.perf_counter()
    with pytest.raises(LimitError) as info:
        parse_document("---\nid: " + "[" * 20_000 + "\n---\nI: x\n", "d.txt")
    assert time.perf_counter() - start < 5
    assert str(info.value).startswith("d.txt:2: YAML nesting depth 101 exceeds the limit")


# --------------------------------------------------------------------------- .docx archives
def _docx_with(path: Path, document_xml: Callable[[BinaryIO], None]) -> Path:
    """A real .docx (python-docx's template) whose word/document.xml ``document_xml``
    writes, streamed (so a bomb is built without holding it in memory)."""
    import docx

    template = path.with_name("template.docx")
    document = docx.Document()
    document.add_paragraph("---")
    document.save(str(template))
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                with dst.open(info.filename, "w", force_zip64=True) as out:
                    document_xml(out)
            else:
                dst.writestr(info, src.read(info.filename))
    template.unlink()
    return path


def test_docx_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    """300 MiB of XML in a 300 kB .docx (ratio ~1000): refused from the archive directory,
    without python-docx inflating and parsing it."""
    def bomb(out: BinaryIO) -> None:
        out.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
                  b'.org/wordprocessingml/2006/main"><w:body>')
        chunk = b" " * MiB
        for _ in range(300):
            out.write(chunk)
        out.write(b"</w:body></w:document>")

    path = _docx_with(tmp_path / "bomb.docx", bomb)
    assert path.stat().st_size < 400_000
    code = f"""from uppks_qual.corpus import check_corpus
corpus, problems = check_corpus({str(path)!r})
print(type(problems[0]).__name__, problems[0])
"""
    grew, proc = peak_rss(code, limit_bytes=2 * 2**30, timeout=120)
    assert proc.stdout.startswith(f"LimitError {path}: compression ratio (inflated / "
                                  "compressed size) of member 'word/document.xml'"), proc.stdout + proc.stderr[-2000:]
    assert "max_compression_ratio" in proc.stdout
    assert grew < 20 * MiB, grew


def test_docx_member_over_the_size_limit(tmp_path: Path) -> None:
    def small(out: BinaryIO) -> None:
        out.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
                  b'.org/wordprocessingml/2006/main"><w:body/></w:document>')

    path = _docx_with(tmp_path / "d.docx", small)
    with limits.override(max_member_bytes=1000), pytest.raises(LimitError) as info:
        load_corpus(path)
    assert info.value.limit == "max_member_bytes"
    assert str(info.value).startswith(f"{path}: declared inflated size of member ")


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_text(front() + "I: Baik.\n", encoding="utf-8")
    corpus, problems = check_corpus(path)
    assert corpus is None
    assert [type(p) for p in problems] == [CorpusError]
    assert str(problems[0]).startswith(f"{path}: cannot open as a Word document (.docx is a "
                                       "zip archive)")
