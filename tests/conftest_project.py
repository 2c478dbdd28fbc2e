"""Shared helpers for the store, project and autocode tests (imported, not a conftest plugin).

Everything here is a plain function; the expensive things (the real codebook, the real corpus)
are cached per process with ``functools.cache`` so the three test modules share them. The
spaCy pipeline itself is cached by :func:`uppks_qual.nlp.get_nlp`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import pandas as pd

from uppks_qual.codebook import load_codebook
from uppks_qual.corpus import Corpus, load_corpus, parse_document
from uppks_qual.project import Project
from uppks_qual.records import Code, Codebook, Document

ROOT = Path(__file__).resolve().parents[1]
REAL_CORPUS_DIR = ROOT / "data" / "interviews"
REAL_CODEBOOK_PATH = ROOT / "codebook.yaml"


# --------------------------------------------------------------------------- codebooks
def make_code(code_id: str, *, parent: str | None = None, kind: str = "factor",
              label: str | None = None, **cues: tuple[str, ...]) -> Code:
    """A :class:`Code` whose factor is the first part of its dotted id."""
    label = label or code_id.replace("_", " ").replace(".", ": ").title()
    return Code(code_id=code_id, parent=parent, factor=code_id.split(".")[0], kind=kind,
                label_en=label, label_id=f"{label} (id)", **cues)


@cache
def tiny_codebook() -> Codebook:
    """Two factors with one sub-code each and a structural code without cues.

    ``capital`` has the lemma cue *modal*, positive *bertambah*, negative *macet* (the cue and
    valence example of the brief); ``capital.loan`` the phrase *pinjaman*; ``leadership`` the
    phrase *ketua* (positive *rajin*, negative *batal*); ``leadership.meetings`` the lemma
    *rapat*.
    """
    return Codebook((
        make_code("capital", label="Capital growth", lemmas=("modal",),
                  positive=("bertambah",), negative=("macet",)),
        make_code("capital.loan", parent="capital", label="Loans", phrases=("pinjaman",)),
        make_code("leadership", label="Leadership", phrases=("ketua",),
                  positive=("rajin",), negative=("batal",)),
        make_code("leadership.meetings", parent="leadership", label="Meetings",
                  lemmas=("rapat",)),
        make_code("stage", kind="structural", label="Stage"),
    ), name="tiny")


@cache
def real_codebook() -> Codebook:
    """``codebook.yaml`` of the repository, loaded once per process."""
    return load_codebook(REAL_CODEBOOK_PATH)


@cache
def real_corpus() -> Corpus:
    """``data/interviews``, loaded once per process."""
    return load_corpus(REAL_CORPUS_DIR)


# --------------------------------------------------------------------------- documents
FRONT = ("---\nid: {doc_id}\ngroup: {group}\nvillage: {village}\nsource_type: {source_type}\n"
         "informant_role: {role}\ninformant: {informant}\ndate: 2004-03-11\n---\n")
VILLAGES = {"Asoka": "Durian Daun", "Melati": "Padang Olo"}

#: Bodies of the small corpus; each document has cues of both factors for the tiny codebook.
SMALL_BODIES: dict[str, tuple[str, str, str, str]] = {
    # doc_id: (group, source_type, informant_role, body)
    "asoka-int-a": ("Asoka", "interview", "chair",
                    "P: Bagaimana modal kelompok?\n"
                    "I: Modal kami bertambah. Ketua rajin datang ke rapat. 🙂 Pinjaman lancar.\n"
                    "P: Ada masalah?\n"
                    "I: Rapat kadang batal, tapi modal tidak macet.\n"),
    "melati-int-b": ("Melati", "interview", "member",
                     "P: Modal bagaimana, Bu?\n"
                     "I: Modal macet. Ketua jarang datang ke rapat.\n"
                     "P: Pinjaman?\n"
                     "I: Pinjaman belum lunas, ya begitulah… café naïve.\n"),
    "melati-obs-c": ("Melati", "observation", "researcher",
                     "[10.00] Rapat dimulai terlambat. Ketua membuka rapat.\n\n"
                     "[10.30] Permodalan kelompok dibahas; pinjaman putaran IV lunas ✓.\n"),
}


def small_text(doc_id: str) -> str:
    """Front matter + body of one small-corpus document."""
    group, source_type, role, body = SMALL_BODIES[doc_id]
    return FRONT.format(doc_id=doc_id, group=group, village=VILLAGES[group],
                        source_type=source_type, role=role, informant=f"Ibu {doc_id[-1].upper()}"
                        ) + body


def small_documents() -> list[Document]:
    """The small corpus as :class:`Document` records (parsed from front-matter strings)."""
    return [parse_document(small_text(d), f"{d}.txt").document for d in SMALL_BODIES]


def plain_document(doc_id: str, text: str, *, group: str = "Asoka",
                   source_type: str = "observation") -> Document:
    """A :class:`Document` built directly (no front matter, no parsing, no normalisation)."""
    return Document(doc_id=doc_id, text=text, group=group, village=VILLAGES.get(group, "X"),
                    source_type=source_type, informant_role="researcher", informant="Peneliti",
                    date="2004-03-11")


# --------------------------------------------------------------------------- projects
def new_project(path: Path, documents: Iterable[Document] | Corpus | None = None,
                codebook: Codebook | None = None) -> Project:
    """A new project at ``path`` (small corpus and tiny codebook unless given)."""
    return Project.create(path, corpus=small_documents() if documents is None else documents,
                          codebook=tiny_codebook() if codebook is None else codebook)


def copy_project(template: Path, dest: Path) -> Project:
    """Open a copy of the (closed) project file ``template`` at ``dest``.

    Copying a prepared file is much cheaper than building a project for every test.
    """
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{dest}{suffix}")
    return Project.open(dest)


def build_template(path: Path, fill: Callable[[Project], object]) -> Path:
    """Create a small project at ``path``, let ``fill`` code it, close it; return the path."""
    with new_project(path) as proj:
        fill(proj)
    return path


def table_lines(dump: str, table: str) -> list[str]:
    """The ``INSERT`` lines of one table in ``project.dump()``."""
    return [line for line in dump.splitlines() if line.startswith(f'INSERT INTO "{table}"')]


def without_ids(frame: pd.DataFrame, drop: Sequence[str] = ("coding_id",)) -> pd.DataFrame:
    """A codings frame without id columns, sorted on its natural key (to compare runs)."""
    key = ["doc_id", "start", "end", "code_id", "coder"]
    return frame.drop(columns=list(drop)).sort_values(key, kind="stable").reset_index(drop=True)
