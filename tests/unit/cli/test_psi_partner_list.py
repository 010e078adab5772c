"""The partner's identifier list is read as its spreadsheet saved it: UTF-8 or GBK."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealroom.cli.psi_commands import read_ids
from sealroom.errors import ConfigError

LIST = "姓名,手机号\r\n王芳,138 1234 5678\r\n李建国,13987654321\r\n"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_a_chinese_column_is_read_from_a_gbk_or_utf8_list(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(LIST.encode(encoding))
    assert read_ids(path, "手机号") == ["138 1234 5678", "13987654321"]


def test_a_list_in_another_encoding_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("mobile\n".encode("utf-16"))
    with pytest.raises(ConfigError, match="neither UTF-8 nor GBK/GB18030 text: re-save it"):
        read_ids(path, None)
