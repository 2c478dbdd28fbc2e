"""``overwrite=True`` replaces a project, never any other file (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tree_state

from uppks_qual.errors import StoreError
from uppks_qual.project import Project
from uppks_qual.store import Store


@pytest.mark.parametrize("content", [b"", b"Laporan penelitian, jangan dihapus.\n",
                                     b"SQLite format 3\x00" + b"\x00" * 200])
def test_create_with_overwrite_never_replaces_a_file_that_is_not_a_project(
        tmp_path: Path, content: bytes) -> None:
    victim = tmp_path / "notes.uqp"
    victim.write_bytes(content)
    before = tree_state(tmp_path)
    with pytest.raises(StoreError) as info:
        Store.create(victim, overwrite=True)
    assert type(info.value) is StoreError
    assert str(info.value).startswith(f"{victim}: exists and is not a uppks-qual project")
    assert "never replaced" in str(info.value)
    assert tree_state(tmp_path) == before


def test_create_with_overwrite_replaces_a_project(tmp_path: Path) -> None:
    path = tmp_path / "p.uqp"
    Project.create(path).close()
    with Project.create(path, overwrite=True) as project:
        assert project.documents().empty
