"""Removing a tree a hostile job shaped: deep, oddly named, locked, linking out."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.tree_removal import remove_tree


def _deep_tree(root: Path, depth: int) -> Path:
    # made through a directory descriptor: the full path would pass PATH_MAX
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for level in range(depth):
            name = f"--odd name\n{level}"
            os.mkdir(name, dir_fd=fd)
            below = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
        data = os.open("data", os.O_WRONLY | os.O_CREAT, 0o000, dir_fd=fd)
        os.write(data, b"plaintext")
        os.close(data)
        os.fchmod(fd, 0)
    finally:
        os.close(fd)
    return root


def test_a_tree_deeper_than_recursion_and_path_max_is_removed(tmp_path: Path) -> None:
    tree = _deep_tree(tmp_path / "tree", 3000)
    remove_tree(tree)
    assert not tree.exists()


def test_symlinks_are_removed_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("kept")
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "to-dir").symlink_to(outside)
    (tree / "a" / "to-file").symlink_to(outside / "keep.txt")
    (tree / "dangling").symlink_to(tmp_path / "nothing")
    os.chmod(tree / "a", 0o000)  # noqa: PTH101
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "keep.txt").read_text() == "kept"


def test_a_missing_tree_or_a_file_is_fine(tmp_path: Path) -> None:
    remove_tree(tmp_path / "never-made")
    single = tmp_path / "file"
    single.write_text("x")
    remove_tree(single)
    assert not single.exists()
