"""Hypothesis fuzzers of the REFI-QDA reader (issue 13): any .qdpx, .qde or uppks-qual.json
gives an :class:`~uppks_qual.interop.refi_read.ImportedProject` or a
:class:`~uppks_qual.errors.QualError`, never another exception (IndexError, KeyError,
ValueError from ``int()``, lxml or zipfile errors, UnicodeDecodeError, RecursionError ...).

The seeds are a small project exported by uppks-qual (project.qde, three sources and
uppks-qual.json) and the tool-style fixtures of ``tests/data/refi``; the fuzzers mutate them
(drop, duplicate or move elements, random attributes, offsets, GUIDs and text; random JSON in
place of any part of the extras; flipped, cut or random bytes of the archive).
"""

from __future__ import annotations

import copy
import json
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_project import new_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from uppks_qual.errors import QualError, RefiWarning
from uppks_qual.interop import read_project
from uppks_qual.interop.refi_read import EXTRAS_NAME, ImportedProject
from uppks_qual.project import Project
from uppks_qual.records import Coding

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DATA = Path(__file__).resolve().parents[1] / "data" / "refi"
ATTRIBUTES = ("guid", "name", "startPosition", "endPosition", "targetGUID", "plainTextPath",
              "richTextPath", "creatingUser", "creatingUserGUID", "color", "typeOfVariable",
              "basePath", "isCodable")
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
VALUES = st.one_of(XML_TEXT, st.integers(-3, 10**6).map(str),
                   st.sampled_from(["", "-1", "0", "1e3", "99999999999999999999999", "{}",
                                    "{X}", "internal://", "internal://s.txt", "relative://a",
                                    "absolute://", "sources/../x", "%00", "http://x/y",
                                    "#12", "true", "NaN"]))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The members of a small project exported by uppks-qual."""
    folder = tmp_path_factory.mktemp("seed")
    with new_project(folder / "seed.uqp") as project:
        doc = project.document("melati-int-b")
        start = doc.text.index("Modal macet")
        project.code_many([Coding("melati-int-b", start, start + 11, "capital", "rina",
                                  valence="negative"),
                           Coding("melati-int-b", start, start + 5, "capital.loan", "auto",
                                  origin="auto", confidence=0.5)])
        project.memo("capital", "Memo on capital.", on="code", author="rina")
        path = project.export_qdpx(folder / "seed.qdpx")
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="refi-fuzz-") as folder:
        yield Path(folder)


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return path


def read_or_qual_error(path: Path, **kwargs: Any) -> ImportedProject | QualError:
    """``read_project(path)``; a QualError is returned, any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        try:
            result = read_project(path, **kwargs)
        except QualError as exc:
            assert str(path) in str(exc), str(exc)
            return exc
    assert isinstance(result, ImportedProject)
    return result


Mutation = tuple[str, int, str]
MUTATIONS = st.lists(st.tuples(st.sampled_from(["drop", "dup", "move", "attr", "text", "guid",
                                                "offset", "strip"]),
                               st.integers(0, 10**6), VALUES), min_size=1, max_size=5)


def mutate(root: Any, mutations: list[Mutation]) -> None:
    """Apply ``(operation, index, value)`` mutations to the element tree ``root``."""
    guids = [v for el in root.iter() for k, v in el.attrib.items() if "guid" in k.lower()]
    for operation, index, value in mutations:
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        el = elements[index % len(elements)]
        parent = el.getparent()
        if operation == "drop" and parent is not None:
            parent.remove(el)
        elif operation == "dup" and parent is not None:
            parent.insert(parent.index(el), copy.deepcopy(el))
        elif operation == "move" and parent is not None:
            target = elements[(index // 7) % len(elements)]
            if el not in target.iterancestors() and target is not el:
                target.append(el)
        elif operation == "attr":
            el.set(ATTRIBUTES[index % len(ATTRIBUTES)], value)
        elif operation == "text":
            el.text = value
        elif operation == "guid" and guids:
            el.set("targetGUID" if index % 2 else "guid", guids[index % len(guids)])
        elif operation == "offset":
            el.set("startPosition" if index % 2 else "endPosition", str(index % 400 - 20))
        elif operation == "strip":
            el.attrib.clear()


@FUZZ
@given(mutations=MUTATIONS)
def test_mutated_project_xml(seed: dict[str, bytes], workdir: Path,
                             mutations: list[Mutation]) -> None:
    root = etree.fromstring(seed["project.qde"])
    mutate(root, mutations)
    members = dict(seed, **{"project.qde": etree.tostring(root, xml_declaration=True,
                                                          encoding="utf-8")})
    read_or_qual_error(write_zip(workdir / "mutated.qdpx", members))


@FUZZ
@given(tool=st.sampled_from(["nvivo", "atlasti", "maxqda", "qualcoder", "unnamed"]),
       mutations=MUTATIONS, bare=st.booleans())
def test_mutated_tool_projects(tool: str, mutations: list[Mutation], bare: bool,
                               workdir: Path) -> None:
    folder = DATA / tool
    root = etree.fromstring((folder / "project.qde").read_bytes())
    mutate(root, mutations)
    qde = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    if bare:  # a .qde beside its tool's sources: the folder sandbox applies
        target = workdir / f"bare-{tool}"
        target.mkdir(exist_ok=True)
        for file in folder.rglob("*"):
            if file.is_file() and file.name != "project.qde":
                dest = target / file.relative_to(folder)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(file.read_bytes())
        (target / "project.qde").write_bytes(qde)
        read_or_qual_error(target / "project.qde")
        return
    members = {file.relative_to(folder).as_posix(): file.read_bytes()
               for file in folder.rglob("*") if file.is_file()}
    members["project.qde"] = qde
    read_or_qual_error(write_zip(workdir / f"{tool}.qdpx", members))


@FUZZ
@given(data=st.data())
def test_damaged_archives(seed: dict[str, bytes], workdir: Path, data: st.DataObject) -> None:
    whole = write_zip(workdir / "whole.qdpx", seed).read_bytes()
    kind = data.draw(st.sampled_from(["flip", "cut", "random", "splice"]))
    if kind == "flip":
        damaged = bytearray(whole)
        for pos in data.draw(st.lists(st.integers(0, len(whole) - 1), min_size=1, max_size=8)):
            damaged[pos] ^= data.draw(st.integers(1, 255))
        payload = bytes(damaged)
    elif kind == "cut":
        payload = whole[:data.draw(st.integers(0, len(whole) - 1))]
    elif kind == "splice":
        pos = data.draw(st.integers(0, len(whole)))
        payload = whole[:pos] + data.draw(st.binary(max_size=64)) + whole[pos:]
    else:
        payload = data.draw(st.binary(max_size=512))
        if data.draw(st.booleans()):
            payload = b"PK\x03\x04" + payload
    path = workdir / "damaged.qdpx"
    path.write_bytes(payload)
    read_or_qual_error(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**20) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["capital", "Bad Id!", "a.b", "", "factor"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8) | st.sampled_from(["code_id", "phrases", "patterns", "kind",
                                               "LOWER", "IN", "format", "codes"]),
        inner, max_size=4),
    max_leaves=25)


def _paths(value: Any, here: tuple = ()) -> Iterator[tuple]:
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*here, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*here, i))


def _replace(value: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    holder = value
    for key in path[:-1]:
        holder = holder[key]
    if delete:
        del holder[path[-1]]
    else:
        holder[path[-1]] = new
    return value


@FUZZ
@given(data=st.data())
def test_random_extras(seed: dict[str, bytes], workdir: Path, data: st.DataObject) -> None:
    extras = json.loads(seed[EXTRAS_NAME])
    if data.draw(st.booleans()):
        for _ in range(data.draw(st.integers(1, 3))):
            paths = list(_paths(extras))
            path = data.draw(st.sampled_from(paths))
            delete = bool(path) and data.draw(st.booleans())
            extras = _replace(extras, path, data.draw(JSON), delete)
        payload = json.dumps(extras).encode()
    else:
        top = data.draw(JSON)
        if isinstance(top, dict) and data.draw(st.booleans()):
            top["format"] = "uppks-qual"
        payload = json.dumps(top).encode()
    read_or_qual_error(write_zip(workdir / "extras.qdpx", dict(seed, **{EXTRAS_NAME: payload})))


CODE_IDS = st.sampled_from(["capital", "capital.loan", "leadership", "x", "x.y", "Bad Id!",
                            "stage", ""])


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(CODE_IDS, min_size=5, max_size=5),
       doc_ids=st.lists(st.sampled_from(["a", "a", "b", " ", "x\ty", "melati-int-b"]),
                        min_size=3, max_size=3))
def test_extras_ids_through_the_store(seed: dict[str, bytes], workdir: Path, ids: list[str],
                                      doc_ids: list[str]) -> None:
    """Code and document ids from the extras reach the store: duplicates or bad ids are an
    InterchangeError, never an IntegrityError, and a failed import leaves nothing."""
    extras = json.loads(seed[EXTRAS_NAME])
    for spec, code_id in zip(extras["codes"].values(), ids, strict=False):
        spec["code_id"] = code_id
    for guid, doc_id in zip(list(extras["documents"]), doc_ids, strict=False):
        extras["documents"][guid] = doc_id
    source = write_zip(workdir / "ids.qdpx", dict(seed, **{EXTRAS_NAME: json.dumps(extras)}))
    dest = workdir / "ids.uqp"
    dest.unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        try:
            Project.import_qdpx(source, dest).close()
        except QualError as exc:
            assert str(source) in str(exc)
            assert not dest.exists()
