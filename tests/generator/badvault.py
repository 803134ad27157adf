"""A vault of every kind of bad note the issue lists, assembled in a temporary folder.

Binary, huge, Shift_JIS and oddly named files are generated here at runtime rather than
committed; the small readable ones live in ``tests/fixtures/bad``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES

BAD = FIXTURES / "bad"
#: A note bigger than ``graph.loading.MAX_NOTE_BYTES`` (20 MB as in the issue).
HUGE_BYTES = 20 * 1024 * 1024
ODD_NAMES = ("file with spaces", "日本語ノート", "emoji 🚀 note", "odd % & ? chars")


def make_bad_vault(root: Path, huge: bool = True) -> Path:
    """Copy the committed fixtures and add the generated ones; returns the vault folder."""
    vault = root / "vault"
    shutil.copytree(BAD, vault)
    (vault / "invalid_utf8.md").write_bytes(
        "# 壊れた UTF-8\n\nAmazon S3 は正常。\n".encode() + b"\xff\xfe broken \xc3 bytes\n" + b"AWS Glue\n")
    sjis = "# シフトJIS のノート\n\nAmazon SageMaker は機械学習サービス。\n"
    (vault / "shift_jis.md").write_bytes(sjis.encode("cp932"))
    (vault / "bom.md").write_bytes(b"\xef\xbb\xbf" + "# BOM 付き\n\nAmazon S3 のメモ。\n".encode())
    (vault / "crlf.md").write_bytes("# CRLF\r\n\r\nAmazon S3 と\r\nAWS Glue の\rメモ。\n".encode())
    (vault / "empty.md").write_bytes(b"")
    (vault / "binary.md").write_bytes(bytes(range(256)) * 16)
    deep = "\n".join("  " * i + f"- レベル {i} Amazon S3" for i in range(50))
    (vault / "deep_list.md").write_text("# 深いリスト\n\n" + deep + "\n", encoding="utf-8")
    for name in ODD_NAMES:
        (vault / f"{name}.md").write_text(f"# {name}\n\nAmazon Athena のメモ。\n", encoding="utf-8")
    if huge:
        line = "Amazon S3 にデータを保存し AWS Glue で変換する。長い長いノートの一行です。\n"
        block = ("## 節\n\n" + line * 50 + "\n").encode()
        data = "# 巨大なノート\n\n".encode() + block * (HUGE_BYTES // len(block) + 1)
        (vault / "huge.md").write_bytes(data)
    return vault
