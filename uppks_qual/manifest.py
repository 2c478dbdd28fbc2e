"""The study manifest: what one study is about, read from ``corpus.yaml`` next to its documents.

Nothing about a particular study lives in the library: its title, where its data comes from,
its groups and what to compare, its hypothesis, its coders and their files are read from the
manifest at run time (``data/interviews/README.md`` documents the format). Every key is
optional; a corpus without a manifest is a study with no declared groups, no hypothesis and no
provenance note.

.. code-block:: yaml

    study:
      title: Coffee cooperatives in three villages
      language: id
    provenance: >-
      Interviews recorded in 2024 by the project team; names are pseudonyms.
    groups:                       # groups documents may name, each with its village
      Sukamaju: Desa Sukamaju
      Karangsari: Desa Karangsari
    compare:
      by: group                   # the column whose values are compared
      groups: [Sukamaju, Karangsari]
    hypothesis:                   # optional: what the study claims
      statement: Each factor worked better in Sukamaju than in Karangsari.
      better: Sukamaju
      worse: Karangsari
      factors: all                # or a list of factor ids
    informant_roles: [farmer]     # roles besides the built-in ones
    interviewer_labels: [P]       # speaker labels of the interviewer (not coded)
    coding:                       # paths are relative to this file
      training: ../coding         # train*.csv passages for the learned coder
      manual:                     # manual codings the main job imports, in precedence order
        - coder: rina
          codings: ../coding/rina.csv
          read: ../coding/sample.csv   # passages she read, coded or not
      agreement:                  # further coders, compared by `uppks-qual agreement`
        - coder: tono
          codings: ../coding/tono.csv
    mask:                         # names the learned coder never sees (masking.py)
      people: [Pak Harun]         # besides informants, speakers and the codebook's actors
      places: [Bandung, Cirebon]  # besides the groups' villages

``mask`` lists names of people and places that must not become features of the learned
auto-coder: a model that sees where or by whom a sentence was said learns *which group* it
comes from instead of what it says. Groups, their villages, every document's group, village,
informant and speakers, and the codebook's ``actors`` are masked without being listed; list
here the other proper names that occur unevenly between groups (towns, markets, people
mentioned without an honorific such as *Pak* or *Ibu*).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorpusError
from .textio import YamlDoc, parse_yaml, read_text

__all__ = ["INFORMANT_ROLES", "MANIFEST_NAME", "CoderFiles", "Hypothesis", "Manifest",
           "read_manifest"]

MANIFEST_NAME = "corpus.yaml"

#: Informant roles every corpus may use; a manifest adds its own under ``informant_roles``.
INFORMANT_ROLES: tuple[str, ...] = (
    "chair", "secretary", "treasurer", "member", "field_officer", "village_head",
    "informal_leader", "district_planner", "researcher",
)
TOP_KEYS = ("study", "provenance", "groups", "compare", "hypothesis", "informant_roles",
            "interviewer_labels", "coding", "mask")


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """What a study claims: each of ``factors`` (empty: every factor of the codebook) is
    better in group ``better`` than in group ``worse``; ``statement`` says it in words."""

    better: str
    worse: str
    statement: str = ""
    factors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CoderFiles:
    """One coder's files: their codings and the passages they read (coded or not)."""

    coder: str
    codings: str | None = None
    read: str | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """A study's manifest (see the module docstring for the file format).

    Paths (``training`` and the coders' files) are absolute, resolved against the manifest's
    folder when it was read.
    """

    title: str = ""
    language: str = "id"
    provenance: str | None = None
    groups: Mapping[str, str] = field(default_factory=dict)
    compare_by: str = "group"
    compare: tuple[str, ...] = ()
    hypothesis: Hypothesis | None = None
    roles: tuple[str, ...] = INFORMANT_ROLES
    interviewer_labels: tuple[str, ...] = ("P",)
    training: str | None = None
    manual: tuple[CoderFiles, ...] = ()
    agreement: tuple[CoderFiles, ...] = ()
    mask_people: tuple[str, ...] = ()
    mask_places: tuple[str, ...] = ()
    path: str | None = None

    def comparison_groups(self, present: Sequence[str]) -> list[str]:
        """The groups to compare: ``compare.groups``, else every declared group present in the
        data, else every group present (in the order given)."""
        if self.compare:
            return list(self.compare)
        declared = [g for g in self.groups if g in set(present)]
        return declared or [g for g in dict.fromkeys(present) if g]

    @property
    def coders(self) -> tuple[str, ...]:
        """The human coders whose codings are evidence, in order of precedence."""
        return tuple(c.coder for c in self.manual)

    def to_json(self) -> str:
        """The manifest as JSON (stored in a project); :meth:`from_json` reads it back."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """The manifest :meth:`to_json` wrote."""
        data = json.loads(text)
        hyp = data.pop("hypothesis")
        data["hypothesis"] = None if hyp is None else Hypothesis(
            **{**hyp, "factors": tuple(hyp["factors"])})
        for key in ("manual", "agreement"):
            data[key] = tuple(CoderFiles(**c) for c in data[key])
        for key in ("compare", "roles", "interviewer_labels", "mask_people", "mask_places"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


def read_manifest(path: str | Path) -> Manifest:
    """Read and check a manifest file; a problem is a :class:`CorpusError` naming the line.

    Examples
    --------
    >>> manifest = read_manifest("data/interviews/corpus.yaml")       # doctest: +SKIP
    >>> manifest.comparison_groups(["north", "south"])                 # doctest: +SKIP
    """
    path = Path(path)
    doc = parse_yaml(read_text(path), path, error=CorpusError)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise CorpusError("a manifest must be a mapping (study:, groups:, compare: ...)",
                          path=path, line=1)
    reader = _Reader(doc, path)
    reader.check_keys(data, TOP_KEYS, "the manifest")
    groups = reader.groups(data)
    return Manifest(
        title=reader.text(data.get("study") or {}, "title"),
        language=reader.text(data.get("study") or {}, "language") or "id",
        provenance=" ".join(str(data["provenance"]).split()) if data.get("provenance") else None,
        groups=groups, **reader.compare(data, groups),
        hypothesis=reader.hypothesis(data, groups),
        roles=INFORMANT_ROLES + reader.names(data, "informant_roles"),
        interviewer_labels=reader.names(data, "interviewer_labels") or ("P",),
        **reader.coding(data), **reader.mask(data), path=str(path))


class _Reader:
    """Checks one manifest's sections, naming the file and line of every problem."""

    def __init__(self, doc: YamlDoc, path: Path) -> None:
        self.doc, self.path = doc, path

    def fail(self, where: Any, key: str | None, message: str) -> CorpusError:
        return CorpusError(message, path=self.path, line=self.doc.line_of(where, key))

    def check_keys(self, data: dict[str, Any], allowed: Sequence[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(data, key, f"unknown key {key!r} in {what}; allowed keys are "
                                           f"{', '.join(allowed)}")

    def text(self, data: Any, key: str) -> str:
        if not isinstance(data, dict):
            raise self.fail(self.doc.data, "study", "`study` must be a mapping (title:, "
                                                    "language:)")
        self.check_keys(data, ("title", "language"), "study")
        value = data.get(key)
        return "" if value is None else str(value).strip()

    def names(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.fail(data, key, f"`{key}` must be a list of names")
        return tuple(str(v) for v in value)

    def groups(self, data: dict[str, Any]) -> dict[str, str]:
        value = data.get("groups") or {}
        if not isinstance(value, dict):
            raise self.fail(data, "groups", "`groups` must map each group to its village, e.g. "
                                            "`groups: {North: Kampung Utara}`")
        return {str(k): "" if v is None else str(v) for k, v in value.items()}

    def _group(self, where: Any, key: str, value: Any, groups: Mapping[str, str]) -> str:
        if not isinstance(value, str | int) or not str(value).strip():
            raise self.fail(where, key, f"`{key}` must name a group")
        if groups and str(value) not in groups:
            raise self.fail(where, key, f"{key} {value!r} is not a declared group; groups are "
                                        f"{', '.join(groups)}")
        return str(value)

    def compare(self, data: dict[str, Any], groups: Mapping[str, str]) -> dict[str, Any]:
        value = data.get("compare") or {}
        if not isinstance(value, dict):
            raise self.fail(data, "compare", "`compare` must be a mapping (by:, groups:)")
        self.check_keys(value, ("by", "groups"), "compare")
        chosen = value.get("groups") or []
        if not isinstance(chosen, list):
            raise self.fail(value, "groups", "`compare.groups` must be a list of groups")
        names = tuple(self._group(value, "groups", g, groups if value.get("by", "group") ==
                                  "group" else {}) for g in chosen)
        if len(set(names)) != len(names) or len(names) == 1:
            raise self.fail(value, "groups", "`compare.groups` needs two or more different "
                                             "groups")
        return {"compare_by": str(value.get("by") or "group"), "compare": names}

    def hypothesis(self, data: dict[str, Any], groups: Mapping[str, str]) -> Hypothesis | None:
        value = data.get("hypothesis")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(data, "hypothesis", "`hypothesis` must be a mapping (statement:, "
                                                "better:, worse:, factors:)")
        self.check_keys(value, ("statement", "better", "worse", "factors"), "hypothesis")
        better = self._group(value, "better", value.get("better"), groups)
        worse = self._group(value, "worse", value.get("worse"), groups)
        if better == worse:
            raise self.fail(value, "worse", "`better` and `worse` must be two different groups")
        factors = value.get("factors", "all")
        if factors == "all" or factors is None:
            factors = []
        if not isinstance(factors, list) or not all(isinstance(f, str) for f in factors):
            raise self.fail(value, "factors", "`factors` must be `all` or a list of factor ids")
        return Hypothesis(better, worse, " ".join(str(value.get("statement") or "").split()),
                          tuple(factors))

    def coding(self, data: dict[str, Any]) -> dict[str, Any]:
        value = data.get("coding") or {}
        if not isinstance(value, dict):
            raise self.fail(data, "coding", "`coding` must be a mapping (training:, manual:, "
                                            "agreement:)")
        self.check_keys(value, ("training", "manual", "agreement"), "coding")
        return {"training": self._file(value, "training"),
                "manual": self._coders(value, "manual"),
                "agreement": self._coders(value, "agreement")}

    def mask(self, data: dict[str, Any]) -> dict[str, Any]:
        value = data.get("mask") or {}
        if not isinstance(value, dict):
            raise self.fail(data, "mask", "`mask` must be a mapping (people:, places:)")
        self.check_keys(value, ("people", "places"), "mask")
        return {"mask_people": self.names(value, "people"),
                "mask_places": self.names(value, "places")}

    def _file(self, where: dict[str, Any], key: str) -> str | None:
        value = where.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, key, f"`{key}` must be a path (relative to the manifest)")
        return str((self.path.parent / value).resolve())

    def _coders(self, where: dict[str, Any], key: str) -> tuple[CoderFiles, ...]:
        value = where.get(key) or []
        if not isinstance(value, list):
            raise self.fail(where, key, f"`coding.{key}` must be a list of coders "
                                        "(- coder: name, codings: file, read: file)")
        out: list[CoderFiles] = []
        for item in value:
            if not isinstance(item, dict) or not str(item.get("coder") or "").strip():
                raise self.fail(value, str(len(out)), f"each entry of `coding.{key}` needs "
                                                      "`coder:`")
            self.check_keys(item, ("coder", "codings", "read"), f"coding.{key}")
            out.append(CoderFiles(str(item["coder"]).strip(), self._file(item, "codings"),
                                  self._file(item, "read")))
        return tuple(out)
