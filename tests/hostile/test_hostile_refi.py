"""Hostile input, family "REFI-QDA": .qdpx archives, .qde and .qdc files from other tools.

A project received by e-mail must not read files outside itself, blow up memory, recurse
without bound or fail with anything but an :class:`~uppks_qual.errors.InterchangeError`
naming the file (and line, element or member) and saying what to do. Every failed import
leaves no project file behind, changes no existing project and writes nothing elsewhere.

Archives are built in ``tmp_path`` (the zip bomb once per module); :func:`qde` writes a
minimal project.qde with one code and one source whose text the case chooses.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import uuid
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SECRET, MiB, assert_unchanged, db_dump, peak_rss, run_cli, tree_state
from conftest_project import new_project, tiny_codebook

from uppks_qual import codebook as codebook_module
from uppks_qual import limits
from uppks_qual.codebook import load_codebook
from uppks_qual.errors import (
    InterchangeError,
    InterchangeLimitError,
    LimitError,
    QualError,
    RefiWarning,
)
from uppks_qual.interop import read_project, read_qdc, refi_read, validate_refi
from uppks_qual.project import Project
from uppks_qual.records import Coding

NS = "urn:QDA-XML:project:1.0"
CODE = "C0DE0000-0000-4000-8000-000000000001"
SOURCE = "50C00000-0000-4000-8000-000000000001"
HINT = "allow_external=True"


# --------------------------------------------------------------------------- builders
def qde(ref: str | None = None, *, text: str | None = None, codes: str | None = None,
        head: str = "", base: str | None = None, name: str = "Satu") -> str:
    """A project.qde with one code and one source: its text inline (``text``) or at ``ref``;
    ``codes`` replaces the code book's Code elements; ``head`` goes before the root."""
    codes = codes if codes is not None else f'<Code guid="{CODE}" name="Semua" isCodable="true"/>'
    where = f' plainTextPath="{ref}"' if ref is not None else ""
    inline = f"<PlainTextContent>{text}</PlainTextContent>" if text is not None else ""
    base_attr = f' basePath="{base}"' if base is not None else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{head}'
            f'<Project xmlns="{NS}" name="hostile"{base_attr}>\n'
            f" <CodeBook><Codes>{codes}</Codes></CodeBook>\n"
            f' <Sources>\n  <TextSource guid="{SOURCE}" name="{name}"{where}>{inline}\n'
            f'   <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{CODE}"/></Coding>\n'
            "  </TextSource>\n </Sources>\n</Project>\n")


def make_qdpx(path: Path, members: dict[str, bytes | str],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, payload in members.items():
                zf.writestr(name.split("#")[0], payload)  # "name#2": a duplicate member
    return path


def archive(tmp_path: Path, ref: str = "internal://s.txt", *, text: bytes | str = "Rapat.",
            name: str = "hostile.qdpx", **extra: bytes | str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    members: dict[str, bytes | str] = {"project.qde": qde(ref), "sources/s.txt": text}
    members.update({k.replace("__", "/"): v for k, v in extra.items()})
    return make_qdpx(folder / name, members)


def nested_codes(depth: int) -> str:
    opening = "".join(f'<Code guid="{uuid.UUID(int=i + 1)}" name="level {i}" '
                      'isCodable="true">' for i in range(depth))
    return opening.replace(str(uuid.UUID(int=1)), CODE, 1) + "</Code>" * depth


def failed_import(source: Path, tmp_path: Path, error: type[QualError], *patterns: str,
                  allow_external: bool = False, dest: Path | None = None) -> QualError:
    """Import ``source``; assert the exact error class, that the message names the file and
    matches ``patterns``, that no project was written and nothing else changed; return the
    error."""
    dest = dest or tmp_path / "out" / "new.uqp"
    dest.parent.mkdir(exist_ok=True)
    before = tree_state(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        with pytest.raises(QualError) as info:
            Project.import_qdpx(source, dest, allow_external=allow_external)
    exc = info.value
    assert type(exc) is error, (type(exc), exc)
    assert str(source) in str(exc) and exc.path == str(source)
    for pattern in patterns:
        assert re.search(pattern, str(exc)), (pattern, str(exc))
    assert not dest.exists()
    assert_unchanged(before, tmp_path)
    assert SECRET not in str(exc)
    return exc


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small project exported to .qdpx by uppks-qual (with uppks-qual.json)."""
    folder = tmp_path_factory.mktemp("exported")
    with new_project(folder / "small.uqp") as project:
        doc = project.document("asoka-int-a")
        start = doc.text.index("Modal kami")
        project.code_many([Coding("asoka-int-a", start, start + 10, "capital", "rina"),
                           Coding("asoka-int-a", start, start + 10, "capital.loan", "rina")])
        return project.export_qdpx(folder / "small.qdpx")


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# --------------------------------------------------------------------------- 1. sandbox
REFS = {
    "file url": lambda o: f"file://{o / 'secret.txt'}",
    "absolute url": lambda o: f"absolute://{o / 'secret.txt'}",
    "plain absolute path": lambda o: str(o / "secret.txt"),
    "windows drive": lambda o: "C:/Users/korban/secret.txt",
    "unc path": lambda o: "\\\\server\\share\\secret.txt",
    "relative dotdot": lambda o: "relative://../outside/secret.txt",
    "internal dotdot": lambda o: "internal://../../outside/secret.txt",
    "plain dotdot": lambda o: "../outside/secret.txt",
    "percent-encoded dotdot": lambda o: "relative://..%2Foutside%2Fsecret.txt",
    "relative not in archive": lambda o: "relative://outside/secret.txt",
}
WHY = {"file url": "is a file outside the archive", "absolute url": "is a file outside the "
       "archive", "plain absolute path": "is a file outside the archive",
       "windows drive": "is a file outside the archive",
       "unc path": "is a file outside the archive",
       "relative not in archive": "is not a member of the archive"}


@pytest.mark.parametrize("form", list(REFS))
def test_qdpx_reference_outside_the_archive_is_refused(form: str, tmp_path: Path,
                                                       outside: Path) -> None:
    ref = REFS[form](outside)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "outside").symlink_to(outside)  # "relative://outside/..." would find it
    source = archive(tmp_path, ref)
    exc = failed_import(source, tmp_path, InterchangeError,
                        rf"hostile\.qdpx:5: TextSource {SOURCE}: plainTextPath "
                        rf"{re.escape(repr(ref))} of 'Satu' "
                        rf"{WHY.get(form, 'climbs out of the project.s folder with ..')}",
                        re.escape(HINT), "--allow-external")
    assert (exc.element, exc.guid, exc.line) == ("TextSource", SOURCE, 5)


def test_url_reference_is_refused_even_when_external_files_are_allowed(tmp_path: Path) -> None:
    source = archive(tmp_path, "http://127.0.0.1:9/secret.txt")
    failed_import(source, tmp_path, InterchangeError, "is a URL; uppks-qual never fetches "
                  "files over the network", allow_external=True)


def test_note_reference_outside_the_archive_is_refused(tmp_path: Path, outside: Path) -> None:
    note = (f'<Notes><Note guid="{uuid.uuid4()}" name="memo" '
            f'plainTextPath="file://{outside / "secret.txt"}"/></Notes>')
    members = {"project.qde": qde("internal://s.txt").replace("</Project>", note + "</Project>"),
               "sources/s.txt": "Rapat."}
    source = make_qdpx(tmp_path / "memo.qdpx", members)
    exc = failed_import(source, tmp_path, InterchangeError, r"Note [0-9A-F-]+: plainTextPath "
                        r"'file://.*' of 'memo' is a file outside the archive", re.escape(HINT))
    assert exc.element == "Note"


def qde_folder(tmp_path: Path, ref: str, *, base: str | None = None) -> Path:
    folder = tmp_path / "proj"
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "sources" / "s.txt").write_text("Rapat.", encoding="utf-8")
    path = folder / "project.qde"
    path.write_text(qde(ref, base=base), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["symlink", "absolute", "basePath absolute",
                                  "basePath dotdot"])
def test_bare_qde_reads_only_inside_its_folder(case: str, tmp_path: Path,
                                               outside: Path) -> None:
    ref, base = {"symlink": ("internal://link.txt", None),
                 "absolute": (str(outside / "secret.txt"), None),
                 "basePath absolute": ("relative://secret.txt", str(outside)),
                 "basePath dotdot": ("secret.txt", "../outside")}[case]
    path = qde_folder(tmp_path, ref, base=base)
    if case == "symlink":
        (path.parent / "sources" / "link.txt").symlink_to(outside / "secret.txt")
    failed_import(path, tmp_path, InterchangeError,
                  rf"project\.qde:5: TextSource {SOURCE}: plainTextPath {re.escape(repr(ref))} "
                  rf"of 'Satu' leads to {re.escape(str(outside.resolve() / 'secret.txt'))}, "
                  r"outside the folder of the project file", re.escape(HINT))


def test_bare_qde_reads_files_inside_its_folder_by_any_path(tmp_path: Path) -> None:
    path = qde_folder(tmp_path, str(tmp_path / "proj" / "sources" / "s.txt"))
    with Project.import_qdpx(path, tmp_path / "ok.uqp") as project:
        assert project.document("satu").text == "Rapat."


def test_allow_external_reads_a_trusted_external_file(tmp_path: Path, outside: Path) -> None:
    source = archive(tmp_path, f"file://{outside / 'secret.txt'}")
    imported = read_project(source, allow_external=True)
    assert SECRET in imported.documents[0].text
    with Project.import_qdpx(source, tmp_path / "trusted.uqp", allow_external=True) as project:
        assert SECRET in project.document("satu").text


# --------------------------------------------------------------------------- 2. sizes
@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~1 MiB .qdpx whose one source inflates to 1 GiB of zeros (ratio ~1030)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde("internal://s.txt"))
        zeros = bytes(16 * MiB)
        with zf.open("sources/s.txt", "w", force_zip64=True) as handle:
            for _ in range(64):
                handle.write(zeros)
    assert path.stat().st_size < 2 * MiB
    return path


def test_zip_bomb_is_refused_before_memory_is_spent(bomb: Path, tmp_path: Path) -> None:
    dest = tmp_path / "bomb.uqp"
    growth, proc = peak_rss(f"""
        from uppks_qual.project import Project; from uppks_qual.errors import InterchangeLimitError
        try:
            Project.import_qdpx({str(bomb)!r}, {str(dest)!r})
        except InterchangeLimitError as exc:
            print("LIMIT", exc.limit, exc.element, str(exc))
    """)
    assert "LIMIT max_compression_ratio sources/s.txt" in proc.stdout, proc.stderr[-2000:]
    assert "uppks_qual.limits.override(max_compression_ratio=...)" in proc.stdout
    assert str(bomb) in proc.stdout
    assert growth < 200 * MiB, growth
    assert not dest.exists()


def test_validate_refi_reads_within_the_limits_too(bomb: Path) -> None:
    with limits.override(max_member_bytes=100), \
            pytest.raises(InterchangeLimitError, match=r"member 'project\.qde'"):
        validate_refi(bomb)
    assert validate_refi(bomb) == []  # project.qde is small: the bomb is a source


def test_member_over_the_size_limit(tmp_path: Path) -> None:
    source = archive(tmp_path, text=os.urandom(3 * MiB // 2).hex()[: 2 * MiB])
    with limits.override(max_member_bytes=MiB):
        exc = failed_import(source, tmp_path, InterchangeLimitError,
                            r"hostile\.qdpx: declared inflated size of member 'sources/s.txt' "
                            r"2,097,152 exceeds the limit max_member_bytes=1,048,576")
    assert isinstance(exc, LimitError) and isinstance(exc, InterchangeError)
    assert (exc.limit, exc.value, exc.element) == ("max_member_bytes", 2 * MiB, "sources/s.txt")


def test_archive_total_over_the_limit(tmp_path: Path) -> None:
    text = "x" * (MiB // 2)
    sources = "".join(f'<TextSource guid="{uuid.uuid4()}" name="s{i}" '
                      f'plainTextPath="internal://s{i}.txt"/>' for i in range(4))
    members: dict[str, bytes | str] = {
        "project.qde": qde(text="x").replace("<Sources>", "<Sources>" + sources)}
    members.update({f"sources/s{i}.txt": text for i in range(4)})
    source = make_qdpx(tmp_path / "many.qdpx", members)
    with limits.override(max_archive_bytes=MiB + MiB // 4):
        exc = failed_import(source, tmp_path, InterchangeLimitError,
                            r"inflated size of the members read so far \(with 'sources/s2.txt'\)"
                            r" 1,5\d\d,\d\d\d exceeds the limit max_archive_bytes=1,310,720")
    assert exc.limit == "max_archive_bytes"


def test_too_many_elements(tmp_path: Path) -> None:
    codes = "".join(f'<Code guid="{uuid.uuid4()}" name="c{i}" isCodable="true"/>'
                    for i in range(300))
    source = make_qdpx(tmp_path / "wide.qdpx", {"project.qde": qde(text="x", codes=codes)})
    with limits.override(max_xml_elements=200):
        exc = failed_import(source, tmp_path, InterchangeLimitError,
                            r"wide\.qdpx:3: number of elements in project\.qde 201 exceeds the "
                            r"limit max_xml_elements=200")
    assert exc.element == "Code"


def test_text_over_the_character_limit(tmp_path: Path) -> None:
    source = archive(tmp_path, text="Rapat bulanan. " * 100)
    with limits.override(max_text_chars=1000):
        failed_import(source, tmp_path, InterchangeLimitError,
                      rf"hostile\.qdpx:5: length in characters of the text of TextSource "
                      rf"{SOURCE} \('Satu'\) 1,500 exceeds the limit max_text_chars=1,000")


def test_docx_bomb_inside_the_archive(tmp_path: Path) -> None:
    inner = tmp_path / "bomb.docx"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b" " * (8 * MiB))
    qde_text = qde().replace('name="Satu"', 'name="Satu" richTextPath="internal://b.docx"')
    source = make_qdpx(tmp_path / "docx.qdpx", {"project.qde": qde_text,
                                                "sources/b.docx": inner.read_bytes()})
    inner.unlink()
    with limits.override(max_member_bytes=4 * MiB):
        exc = failed_import(source, tmp_path, InterchangeLimitError,
                            r"declared inflated size of member "
                            r"'internal://b.docx:word/document.xml' 8,388,608 exceeds the limit "
                            r"max_member_bytes=4,194,304")
    assert exc.limit == "max_member_bytes"


# --------------------------------------------------------------------------- 3. nesting
def test_deep_codes_in_a_qdc_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.qdc"
    path.write_text('<?xml version="1.0"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n'
                    f"<Codes>\n{nested_codes(1500)}\n</Codes></CodeBook>\n", encoding="utf-8")
    for reader in (read_qdc, load_codebook):
        with pytest.raises(InterchangeLimitError) as info:
            reader(path)
        assert str(info.value).startswith(f"{path}:4: nesting depth of elements in deep.qdc "
                                           "101 exceeds the limit max_depth=100")
        assert (info.value.line, info.value.element) == (4, "Code")


def test_deep_codes_in_a_qdpx_are_refused(tmp_path: Path) -> None:
    source = make_qdpx(tmp_path / "deep.qdpx",
                       {"project.qde": qde(text="x", codes=nested_codes(1500))})
    failed_import(source, tmp_path, InterchangeLimitError,
                  r"deep\.qdpx:3: nesting depth of elements in project\.qde 101 exceeds the "
                  r"limit max_depth=100")


def test_deep_codes_under_a_raised_limit_do_not_recurse(tmp_path: Path) -> None:
    path = tmp_path / "deep.qdc"
    path.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{nested_codes(2000)}'
                    "</Codes></CodeBook>", encoding="utf-8")
    with limits.override(max_depth=2100):  # libxml2 itself stops at 2048
        codebook = read_qdc(path)  # used to be a RecursionError at ~1000 levels
    assert len(codebook) == 2000
    deepest = codebook.codes[-1]
    assert deepest.factor == "level_0" and deepest.code_id.count(".") == 1999


def test_deep_json_variable_is_refused(tmp_path: Path) -> None:
    variable = (f'<Variables><Variable guid="{uuid.uuid4()}" name="v" typeOfVariable="Text">'
                "<Description>uppks-qual: values are JSON-encoded</Description></Variable>"
                "</Variables>")
    guid = re.search(r'Variable guid="([^"]+)"', variable).group(1)  # type: ignore[union-attr]
    value = (f'<VariableValue><VariableRef targetGUID="{guid}"/>'
             f"<TextValue>{'[' * 5000}{']' * 5000}</TextValue></VariableValue>")
    text = qde(text="x").replace("<Sources>", variable + "<Sources>").replace(
        "<PlainTextContent>", value + "<PlainTextContent>")
    source = make_qdpx(tmp_path / "json.qdpx", {"project.qde": text})
    failed_import(source, tmp_path, InterchangeLimitError,
                  r"json\.qdpx:5: nesting depth of JSON value of variable 'v' 5,000 exceeds")


# --------------------------------------------------------------------------- 4. extras
def valid_extras(exported: Path) -> dict:
    return json.loads(members_of(exported)[refi_read.EXTRAS_NAME])


def with_extras(exported: Path, target: Path, extras: object | bytes) -> Path:
    members: dict[str, bytes | str] = dict(members_of(exported))
    members[refi_read.EXTRAS_NAME] = extras if isinstance(extras, bytes) else json.dumps(extras)
    return make_qdpx(target, members)


def _first_code(extras: dict) -> str:
    return next(iter(extras["codes"]))


def _mutate(case: str, extras: dict) -> dict | bytes:
    first = _first_code(extras)
    codes = extras["codes"]
    if case == "missing code_id":
        del codes[first]["code_id"]
    elif case == "bad code id":
        codes[first]["code_id"] = "Bad Id!"
    elif case == "duplicate code ids":
        second = list(codes)[1]
        codes[second]["code_id"] = codes[first]["code_id"]
    elif case == "codes is a list":
        extras["codes"] = list(codes.values())
    elif case == "code spec is text":
        codes[first] = "capital"
    elif case == "phrases is a number":
        codes[first]["phrases"] = 3
    elif case == "bad pattern":
        codes[first]["patterns"] = [[{"SOUNDS_LIKE": "rapat"}]]
    elif case == "bad kind":
        codes[first]["kind"] = ["factor"]
    elif case == "document id is a list":
        extras["documents"][next(iter(extras["documents"]))] = ["a"]
    elif case == "settings is a list":
        extras["settings"] = ["provenance"]
    elif case == "guid spelled twice":
        codes["{" + first.lower() + "}"] = dict(codes[first])
    elif case == "deep":
        return ('{"format": "uppks-qual", "x": ' + "[" * 5000 + "]" * 5000 + "}").encode()
    elif case == "not utf-8":
        return b'{"format": "uppks-qual", "codebook_name": "caf\xe9"}'
    elif case == "not json":
        return b'{"format": "uppks-qual",'
    return extras


EXTRAS_CASES = {
    "missing code_id": r"codes\.[0-9A-F-]+\.code_id: null is not a code id",
    "bad code id": r"codes\.[0-9A-F-]+\.code_id: the text 'Bad Id!' is not a code id",
    "duplicate code ids": r"code id 'capital' is also the id of code [0-9A-F-]+; code ids "
                          "must be unique",
    "codes is a list": r"codes: must be a mapping keyed by GUID, not a list",
    "code spec is text": r"codes\.[0-9A-F-]+: must be a mapping, not the text 'capital'",
    "phrases is a number": r"\.phrases: must be a list of non-empty strings",
    "bad pattern": r"\.patterns\[1\]: unknown token key 'SOUNDS_LIKE'",
    "bad kind": r"\.kind: must be one of factor, structural, rival, other, not a list",
    "document id is a list": r"documents\.[0-9A-F-]+: a document id must be non-empty text",
    "settings is a list": r"settings: must be a mapping, not a list",
    "guid spelled twice": r"the GUID appears twice \(in different spellings\)",
    "deep": r"nesting depth of uppks-qual\.json 5,001 exceeds the limit max_depth=100",
    "not utf-8": r"uppks-qual\.json is not UTF-8 \(byte 46\)",
    "not json": r"uppks-qual\.json is not valid JSON \(Expecting property name enclosed in "
                r"double quotes, its line 1\)",
}


@pytest.mark.parametrize("case", list(EXTRAS_CASES))
def test_malformed_extras_are_refused(case: str, exported: Path, tmp_path: Path) -> None:
    source = with_extras(exported, tmp_path / "extras.qdpx", _mutate(case, valid_extras(exported)))
    error = InterchangeLimitError if case == "deep" else InterchangeError
    exc = failed_import(source, tmp_path, error, r"extras\.qdpx: .*uppks-qual\.json",
                        EXTRAS_CASES[case])
    if case not in ("deep", "not utf-8", "not json"):
        assert "delete it from the archive to import without it" in str(exc)
        assert str(exc.element).startswith("uppks-qual.json:")


def test_malformed_extras_leave_an_existing_project_unchanged(exported: Path,
                                                              tmp_path: Path) -> None:
    dest = tmp_path / "existing.uqp"
    new_project(dest).close()
    dump = db_dump(dest)
    source = with_extras(exported, tmp_path / "dup.qdpx",
                         _mutate("duplicate code ids", valid_extras(exported)))
    with pytest.raises(InterchangeError, match="code ids must be unique"):
        Project.import_qdpx(source, dest, overwrite=True)
    assert db_dump(dest) == dump


def test_extras_round_trip_still_imports(exported: Path, tmp_path: Path) -> None:
    with Project.import_qdpx(exported, tmp_path / "back.uqp") as project:
        assert list(project.codebook.ids) == list(tiny_codebook().ids)
        assert project.codebook["capital"].lemmas == ("modal",)
        assert len(project.codings()) == 2


def test_the_code_id_and_pattern_rules_are_the_codebooks() -> None:
    """One rule in records.py serves the codebook loader and the extras reader."""
    from uppks_qual import records

    assert refi_read.CODE_ID is codebook_module.CODE_ID is records.CODE_ID
    assert refi_read.pattern_problem is codebook_module.pattern_problem
    assert records.pattern_problem([{"WORD": "x"}]).startswith("unknown token key 'WORD'")


# --------------------------------------------------------------------------- 5. XML
def test_unresolved_entity_with_a_dtd_is_refused(tmp_path: Path, outside: Path) -> None:
    head = f'<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{outside / "secret.txt"}">]>\n'
    text = qde(text="Awal &xxe; akhir", head=head)
    source = make_qdpx(tmp_path / "xxe.qdpx", {"project.qde": text})
    exc = failed_import(source, tmp_path, InterchangeError,
                        r"xxe\.qdpx:3: project\.qde declares a document type \(DTD: "
                        r"<!DOCTYPE Project>\) before its root element on line 3",
                        "Remove the <!DOCTYPE")
    assert exc.element == "DOCTYPE"


def test_undefined_entity_is_refused_not_dropped(tmp_path: Path) -> None:
    source = make_qdpx(tmp_path / "ent.qdpx", {"project.qde": qde(text="Awal &xxe; akhir")})
    failed_import(source, tmp_path, InterchangeError,
                  r"ent\.qdpx:5: project\.qde is not well-formed XML: Entity 'xxe' not defined "
                  r"\(REFI-QDA files use no entities")


def test_entity_bomb_is_refused(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    head = f'<!DOCTYPE Project [<!ENTITY l0 "lol">{lol}]>\n'
    source = make_qdpx(tmp_path / "lol.qdpx", {"project.qde": qde(text="&l9;", head=head)})
    failed_import(source, tmp_path, InterchangeError, "declares a document type")


def test_qdc_with_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.qdc"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE CodeBook SYSTEM "http://127.0.0.1:9/x.dtd">'
                    '\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    f'<Code guid="{CODE}" name="a" isCodable="true"/></Codes></CodeBook>',
                    encoding="utf-8")
    with pytest.raises(InterchangeError) as info:
        read_qdc(path)
    assert type(info.value) is InterchangeError
    assert str(info.value).startswith(f"{path}:3: dtd.qdc declares a document type (DTD: "
                                      '<!DOCTYPE CodeBook SYSTEM "http://127.0.0.1:9/x.dtd">)')


# --------------------------------------------------------------------------- 7. archives
def _patch_headers(path: Path, name: str, *, flags: int | None = None,
                   method: int | None = None, size: int | None = None) -> None:
    """Rewrite fields of ``name``'s local and central headers in place."""
    data = bytearray(path.read_bytes())
    raw = name.encode()
    for signature, flag_at, method_at, size_at, length_at, name_at in (
            (b"PK\x03\x04", 6, 8, 22, 26, 30), (b"PK\x01\x02", 8, 10, 24, 28, 46)):
        pos = data.find(signature)
        while pos != -1:
            name_len = struct.unpack_from("<H", data, pos + length_at)[0]
            if data[pos + name_at:pos + name_at + name_len] == raw:
                if flags is not None:
                    struct.pack_into("<H", data, pos + flag_at, flags)
                if method is not None:
                    struct.pack_into("<H", data, pos + method_at, method)
                if size is not None:
                    struct.pack_into("<I", data, pos + size_at, size)
            pos = data.find(signature, pos + 4)
    path.write_bytes(bytes(data))


ARCHIVES = {
    "not a zip": (r"not a zip archive; a \.qdpx is a zip holding project\.qde and sources/"),
    "empty file": r"not a zip archive",
    "truncated": r"not a readable zip archive \(.*\); a \.qdpx is a zip holding project\.qde",
    "encrypted member": r"member 'sources/s\.txt' is encrypted; uppks-qual cannot read "
                        r"password-protected archives",
    "unsupported method": r"member 'sources/s\.txt' uses zip compression method 99, which "
                          r"uppks-qual cannot read",
    "lying size": r"member 'sources/s\.txt' cannot be read \(Bad CRC-32 .*\); the archive "
                  r"is damaged",
    "duplicate member": r"the archive holds two members named 'sources/s\.txt'",
    "no project.qde": r"the archive has no project\.qde at its top level",
}


@pytest.mark.parametrize("case", list(ARCHIVES))
def test_broken_archives(case: str, tmp_path: Path) -> None:
    source = tmp_path / "in" / "hostile.qdpx"
    source.parent.mkdir()
    text = "Rapat bulanan di balai desa. " * 20
    if case == "not a zip":
        source.write_text(qde(text="x"), encoding="utf-8")
    elif case == "empty file":
        source.write_bytes(b"")
    elif case == "duplicate member":
        make_qdpx(source, {"project.qde": qde("internal://s.txt"), "sources/s.txt": "a",
                           "sources/s.txt#2": "b"})
    elif case == "no project.qde":
        make_qdpx(source, {"sub/project.qde": qde(text="x")})
    else:
        archive(tmp_path, text=text)
        if case == "truncated":
            source.write_bytes(source.read_bytes()[:300])
        else:
            _patch_headers(source, "sources/s.txt", flags=1 if case == "encrypted member" else
                           None, method=99 if case == "unsupported method" else None,
                           size=len(text) - 10 if case == "lying size" else None)
    failed_import(source, tmp_path, InterchangeError, ARCHIVES[case])


def test_zip_slip_member_names_are_harmless(tmp_path: Path) -> None:
    members: dict[str, bytes | str] = {
        "project.qde": qde("internal://s.txt"), "sources/s.txt": "Rapat.",
        "../../evil.txt": "jahat", "/abs/evil.txt": "jahat", "sources/../../evil2.txt": "j"}
    source = make_qdpx(tmp_path / "slip.qdpx", members)
    before = tree_state(tmp_path)
    with Project.import_qdpx(source, tmp_path / "slip.uqp") as project:
        assert project.document("satu").text == "Rapat."
    assert_unchanged(before, tmp_path, allowed=("slip.uqp",))
    for folder in (tmp_path.parent, tmp_path.parent.parent, Path.cwd(), Path("/abs")):
        assert not (folder / "evil.txt").exists() and not (folder / "evil2.txt").exists()
    sneaky = dict(members, **{"project.qde": qde("internal://../../evil.txt")})
    failed_import(make_qdpx(tmp_path / "slip2.qdpx", sneaky), tmp_path, InterchangeError,
                  r"climbs out of the project's folder with '\.\.'")


# --------------------------------------------------------------------------- command line
@dataclass
class CliRun:
    source: Path
    dest: Path
    done: subprocess.CompletedProcess[str]
    dump: str = ""


@pytest.fixture(scope="module")
def cli(bomb: Path, tmp_path_factory: pytest.TempPathFactory,
        request: pytest.FixtureRequest) -> dict[str, CliRun]:
    """``uppks-qual import-qdpx`` on each hostile input, run concurrently once per module."""
    folder = tmp_path_factory.mktemp("cli")
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET} 42\n", encoding="utf-8")
    secret = outside / "secret.txt"
    memo = (f'<Notes><Note guid="{uuid.uuid4()}" name="memo" plainTextPath="file://{secret}"/>'
            "</Notes>")
    only_memo = (f'<Project xmlns="{NS}" name="memo"><CodeBook><Codes><Code guid="{CODE}" '
                 f'name="Semua" isCodable="true"/></Codes></CodeBook>{memo}</Project>')
    deep = make_qdpx(folder / "deep.qdpx", {"project.qde": qde(text="x",
                                                               codes=nested_codes(1500))})
    truncated = folder / "truncated.qdpx"
    truncated.write_bytes(make_qdpx(folder / "whole.qdpx", {
        "project.qde": qde("internal://s.txt"), "sources/s.txt": "Rapat."}).read_bytes()[:-40])
    existing = folder / "existing.uqp"
    new_project(existing).close()
    jobs = {  # name: (source, dest, options, status)
        "external": (make_qdpx(folder / "ext.qdpx", {"project.qde": qde(
            f"absolute://{secret}")}), folder / "ext.uqp", (), 1),
        "allowed": (make_qdpx(folder / "memo.qdpx", {"project.qde": only_memo}),
                    folder / "memo.uqp", ("--allow-external",), 0),
        "bomb": (bomb, folder / "bomb.uqp", (), 1),
        "deep": (deep, folder / "deep.uqp", (), 1),
        "truncated": (truncated, folder / "t.uqp", (), 1),
        "existing": (make_qdpx(folder / "ext2.qdpx", {"project.qde": qde(f"file://{secret}")}),
                     existing, ("--overwrite",), 1),
    }
    dump = db_dump(existing)

    def run(job: tuple[Path, Path, tuple[str, ...], int]) -> subprocess.CompletedProcess[str]:
        source, dest, options, status = job
        return run_cli("import-qdpx", source, "--project", dest, *options, status=status)

    with ThreadPoolExecutor(max_workers=3) as pool:
        done = dict(zip(jobs, pool.map(run, jobs.values()), strict=True))
    return {name: CliRun(job[0], job[1], done[name], dump) for name, job in jobs.items()}


def test_cli_refuses_an_external_file(cli: dict[str, CliRun]) -> None:
    run = cli["external"]
    assert run.done.stderr.startswith(f"error: {run.source}:5: TextSource {SOURCE}: "
                                      "plainTextPath 'absolute://")
    assert "is a file outside the archive" in run.done.stderr
    assert "--allow-external" in run.done.stderr and HINT in run.done.stderr
    assert SECRET not in run.done.stderr + run.done.stdout
    assert not run.dest.exists()


def test_cli_reads_a_trusted_external_file_with_allow_external(cli: dict[str, CliRun]) -> None:
    run = cli["allowed"]
    assert "imported 0 document(s), 1 code(s) and 0 coding(s)" in run.done.stdout
    with Project.open(run.dest) as project:
        assert any(SECRET in text for text in project.memos()["text"])


def test_cli_zip_bomb(cli: dict[str, CliRun]) -> None:
    run = cli["bomb"]
    assert run.done.stderr.startswith(f"error: {run.source}: compression ratio (inflated / "
                                      "compressed size) of member 'sources/s.txt'")
    assert "max_compression_ratio=1,000" in run.done.stderr
    assert not run.dest.exists()


def test_cli_deep_nesting(cli: dict[str, CliRun]) -> None:
    run = cli["deep"]
    assert run.done.stderr.startswith(f"error: {run.source}:3: nesting depth of elements in "
                                      "project.qde 101 exceeds the limit max_depth=100")
    assert not run.dest.exists()


def test_cli_truncated_archive(cli: dict[str, CliRun]) -> None:
    run = cli["truncated"]
    assert run.done.stderr.startswith(f"error: {run.source}: not a readable zip archive")
    assert not run.dest.exists()


def test_cli_failed_import_keeps_an_existing_project_byte_identical(
        cli: dict[str, CliRun]) -> None:
    run = cli["existing"]
    assert "--allow-external" in run.done.stderr and SECRET not in run.done.stderr
    assert db_dump(run.dest) == run.dump
