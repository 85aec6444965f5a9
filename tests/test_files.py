"""movierec_tui.files: a file is replaced whole or left as it was, and no partial file is left behind."""

from __future__ import annotations

import pytest

from movierec_tui.files import replaced_whole, write_whole


def test_a_write_replaces_the_file_whole(tmp_path) -> None:
    target = tmp_path / "record.json"
    target.write_text("old")
    write_whole(target, '{"new": "é"}')
    assert target.read_text(encoding="utf-8") == '{"new": "é"}'
    write_whole(target, b"\x00bytes", durable=True)
    assert target.read_bytes() == b"\x00bytes"
    assert [path.name for path in tmp_path.iterdir()] == ["record.json"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_partial(tmp_path) -> None:
    target = tmp_path / "weights.npz"
    target.write_bytes(b"old weights")
    with pytest.raises(RuntimeError), replaced_whole(target) as partial:
        partial.write_bytes(b"half of the new")
        assert target.read_bytes() == b"old weights"  # a reader meanwhile sees the old file
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old weights"
    assert [path.name for path in tmp_path.iterdir()] == ["weights.npz"]


def test_a_new_file_appears_only_when_whole(tmp_path) -> None:
    target = tmp_path / "export.csv"
    with replaced_whole(target) as partial:
        partial.write_text("a,b\n")
        assert not target.exists() and partial.parent == target.parent
    assert target.read_text() == "a,b\n"
