"""Which format a file is in, and which text encoding a CSV uses, from its bytes.

Chinese spreadsheets are very often saved as GBK (Excel's "CSV" on a Chinese
Windows), so a CSV that is not UTF-8 is tried as GB18030, which reads GB2312, GBK
and GB18030 alike. Both checks stream the file in chunks: a size-limited upload
may still be far larger than memory should hold.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from sealroom.datasets.errors import UnknownEncoding, UnreadableFile, UnsupportedFormat
from sealroom.datasets.profile import TableFormat, TextEncoding

PARQUET_MAGIC = b"PAR1"
PARQUET_SUFFIXES = frozenset({".parquet", ".pq", ".parq"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})

# Formats people upload by mistake, by their first bytes, so the message can say
# what the file is rather than only what it is not.
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ARROW1", "an Arrow IPC (Feather) file"),
)
_CHUNK_BYTES = 1 << 20
# Share of the non-ASCII characters of a GB18030 decoding that must be Chinese text
# for the decoding to be believed: GB18030 accepts most byte pairs, so a Latin-1
# or Shift-JIS file often "decodes" into rare characters instead of failing.
_MIN_CHINESE_SHARE = 0.9
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_NOT_CHINESE_TEXT = re.compile(
    "[^"
    "\u3000-\u303f"  # CJK punctuation: 、。《》
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uff00-\uffef"  # full-width forms: comma, brackets, colon
    "\u2010-\u206f"  # general punctuation: “ ” … —
    "\u00b7"  # middle dot of minority names: 买买提·艾力
    "]+"
)


def read_head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(size)
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err


def detect_format(path: Path) -> TableFormat:
    """Parquet when the file starts with its magic bytes, CSV by suffix, else refused."""
    head = read_head(path, 16)
    if head.startswith(PARQUET_MAGIC):
        return TableFormat.PARQUET
    for magic, what in _OTHER_FORMATS:
        if head.startswith(magic):
            raise UnsupportedFormat(path.name, what)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        # Named Parquet but without the magic bytes: most often an upload cut short
        # or a CSV renamed by hand.
        raise UnreadableFile.corrupt_parquet(path.name)
    if suffix in CSV_SUFFIXES:
        return TableFormat.CSV
    what = f"a {suffix} file" if suffix else "a file without a .csv or .parquet suffix"
    raise UnsupportedFormat(path.name, what)


def detect_encoding(path: Path) -> TextEncoding:
    """UTF-8 when every byte decodes as UTF-8, else GB18030 when it reads as Chinese."""
    if _decodes(path, "utf-8"):
        return TextEncoding.UTF8
    if _reads_as_chinese_gb18030(path):
        return TextEncoding.GB18030
    raise UnknownEncoding.undecodable(path.name)


# What people call the encodings a CSV may be in; GB18030 is a superset of GBK and
# GB2312 (and cp936, Windows' name for GBK), so one decoder reads all of them.
_ENCODING_NAMES = {
    "utf-8": TextEncoding.UTF8,
    "utf8": TextEncoding.UTF8,
    "utf-8-sig": TextEncoding.UTF8,
    "gbk": TextEncoding.GB18030,
    "gb2312": TextEncoding.GB18030,
    "gb18030": TextEncoding.GB18030,
    "cp936": TextEncoding.GB18030,
}


def text_encoding_named(name: str) -> TextEncoding:
    """The encoding a person names (``gbk``, ``UTF-8``), or ``UnknownEncoding``."""
    found = _ENCODING_NAMES.get(name.strip().lower().replace("_", "-"))
    if found is None:
        raise UnknownEncoding.unsupported(name)
    return found


def check_encoding(path: Path, encoding: TextEncoding) -> TextEncoding:
    """The named encoding, once every byte of the file decodes in it."""
    if not _decodes(path, encoding.value):
        raise UnknownEncoding.not_in(path.name, encoding.value)
    return encoding


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                if b"\x00" in chunk:
                    # Valid UTF-8 and GB18030, but a text table has no NUL bytes:
                    # this is UTF-16 or a binary file.
                    raise UnknownEncoding.binary(path.name)
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err
    return True


def _reads_as_chinese_gb18030(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("gb18030")(errors="strict")
    chinese = other = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                non_ascii = _ASCII_RUNS.sub("", decoder.decode(chunk))
                chinese_part = _NOT_CHINESE_TEXT.sub("", non_ascii)
                chinese += len(chinese_part)
                other += len(non_ascii) - len(chinese_part)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err
    return chinese > 0 and chinese >= _MIN_CHINESE_SHARE * (chinese + other)
