"""What can go wrong reading, classifying or generating a table, one class per fix.

Every class below is one of the shell's dataset errors (``sealroom.errors``), so the
command line and the API show ``str(err)``, a single line that names the file,
says what is wrong and what to do. Messages never quote cell values: an upload is
personal data until classified, and error lines end up in terminals and logs.

    DatasetError                      (sealroom.errors)
    ├── DatasetTooLarge               (sealroom.errors)
    │   ├── FileTooLarge              more bytes than the limit; checked before reading
    │   └── TooManyRows               more rows than the limit; checked while streaming
    ├── DatasetMalformed              (sealroom.errors)
    │   ├── UnsupportedFormat         neither Parquet nor CSV (Excel, JSON, ...)
    │   ├── UnreadableFile            cannot be opened, or a truncated/corrupt Parquet file
    │   ├── UnknownEncoding           a CSV that is neither UTF-8 nor GBK/GB18030
    │   ├── EmptyTable                no bytes, or a header and no rows
    │   ├── MissingHeader             the first CSV line holds data, not column names
    │   ├── BadColumnNames            an empty, duplicate or multi-line column name
    │   ├── WrongDelimiter            a CSV separated by semicolons, tabs or bars
    │   ├── RaggedRow                 a CSV row with more or fewer fields than the header
    │   ├── UnparsableCsv             quoting the CSV parser cannot follow
    │   └── TableChanged              the file changed between inspection and streaming
    └── ClassificationRejected        an owner override the table cannot take
        ├── UnknownColumn             an override names a column the table does not have
        ├── UnknownLevel              an override names a level that does not exist
        └── MalformedOverride         an override that is not COLUMN=LEVEL
"""

from __future__ import annotations

from collections.abc import Sequence

from sealroom.errors import DatasetError, DatasetMalformed, DatasetTooLarge

# Every sentence this module can say, in one place (the job-runner habit).
FILE_TOO_LARGE = (
    "{file} is {size} bytes, over the limit of {limit} bytes: "
    "split it or ask the operator to raise the dataset size limit"
)
TOO_MANY_ROWS = (
    "{file} has more than {limit} rows, the configured row limit: "
    "split it or ask the operator to raise the dataset row limit"
)
UNSUPPORTED_FORMAT = (
    "{file} is {what}, not Parquet or CSV: export it as Parquet or as CSV (UTF-8) and register that"
)
UNREADABLE_FILE = "{file} cannot be read ({reason}): check the path and that the upload finished"
CORRUPT_PARQUET = (
    "{file} is not a readable Parquet file (truncated or corrupt): "
    "export it again or check that the upload finished"
)
UNKNOWN_ENCODING = (
    "{file} is neither UTF-8 nor GBK/GB18030: re-save it as UTF-8, "
    "or name its encoding (--encoding utf-8|gbk|gb18030)"
)
NOT_IN_ENCODING = (
    "{file} does not decode as {encoding}: check --encoding, or leave it out to detect "
    "UTF-8 and GBK/GB18030"
)
UNSUPPORTED_ENCODING = (
    "encoding {encoding!r} is not supported: use utf-8, gbk or gb18030 (GB18030 reads GBK "
    "and GB2312 too), or re-save the file as UTF-8"
)
BINARY_CSV = (
    "{file} contains NUL bytes, so it is not a UTF-8 or GBK text file (UTF-16 from Excel?): "
    "re-save it as CSV UTF-8"
)
EMPTY_FILE = "{file} is empty: export the data again, with a header row naming the columns"
NO_ROWS = (
    "{file} has column names but no rows: export the data again, or register a file that has rows"
)
MISSING_HEADER = (
    "{file} line 1 looks like data, not a header (column {position} holds a value, not a name): "
    "add a header row naming each column"
)
EMPTY_COLUMN_NAME = "{file} column {position} has no name: give every column a name in the header"
DUPLICATE_COLUMN_NAME = (
    "{file} has two columns named {name!r} (columns {first} and {second}): rename one of them"
)
MULTILINE_COLUMN_NAME = (
    "{file} column {position} has a line break in its name: put each column name on the header line"
)
WRONG_DELIMITER = (
    "{file} separates its columns with {delimiter}, not commas: "
    "export it again as comma-separated CSV"
)
RAGGED_ROW = (
    "{file} line {line} has {got} {fields} where the header has {expected}: "
    "fix the row or quote the field"
)
RAGGED_ROW_SOMEWHERE = (
    "{file} has a row with {got} {fields} where the header has {expected}: "
    "fix the row or quote the field"
)
UNPARSABLE_HEADER = (
    "{file} has a header line the CSV reader cannot follow: "
    "check the quotes on that line, or export the file again"
)
UNPARSABLE_CSV = (
    "{file} is not valid CSV after row {rows}: "
    "check the quoting and delimiters near that row, or export it again"
)
TABLE_CHANGED = (
    "{file} changed while it was being registered ({what}): "
    "register it again once nothing is writing to it"
)
UNKNOWN_COLUMN = "the table has no column named {name!r} to classify: use one of {columns}"
UNKNOWN_LEVEL = "{level!r} is not a classification level (column {column!r}): use one of {levels}"
MALFORMED_OVERRIDE = (
    "{text!r} is not a column classification: write it as COLUMN=LEVEL, e.g. mobile=identifier"
)
CONFLICTING_OVERRIDE = (
    "column {column!r} is classified twice, as {first!r} and as {second!r}: keep one"
)


class FileTooLarge(DatasetTooLarge):
    def __init__(self, file: str, size: int, limit: int) -> None:
        super().__init__(FILE_TOO_LARGE.format(file=file, size=size, limit=limit))
        self.size = size
        self.limit = limit


class TooManyRows(DatasetTooLarge):
    def __init__(self, file: str, limit: int) -> None:
        super().__init__(TOO_MANY_ROWS.format(file=file, limit=limit))
        self.limit = limit


class UnsupportedFormat(DatasetMalformed):
    def __init__(self, file: str, what: str) -> None:
        super().__init__(UNSUPPORTED_FORMAT.format(file=file, what=what))


class UnreadableFile(DatasetMalformed):
    @classmethod
    def os_error(cls, file: str, err: OSError) -> UnreadableFile:
        return cls(UNREADABLE_FILE.format(file=file, reason=err.strerror or type(err).__name__))

    @classmethod
    def corrupt_parquet(cls, file: str) -> UnreadableFile:
        return cls(CORRUPT_PARQUET.format(file=file))


class UnknownEncoding(DatasetMalformed):
    @classmethod
    def undecodable(cls, file: str) -> UnknownEncoding:
        return cls(UNKNOWN_ENCODING.format(file=file))

    @classmethod
    def not_in(cls, file: str, encoding: str) -> UnknownEncoding:
        return cls(NOT_IN_ENCODING.format(file=file, encoding=encoding))

    @classmethod
    def unsupported(cls, encoding: str) -> UnknownEncoding:
        return cls(UNSUPPORTED_ENCODING.format(encoding=encoding))

    @classmethod
    def binary(cls, file: str) -> UnknownEncoding:
        return cls(BINARY_CSV.format(file=file))


class EmptyTable(DatasetMalformed):
    @classmethod
    def no_bytes(cls, file: str) -> EmptyTable:
        return cls(EMPTY_FILE.format(file=file))

    @classmethod
    def no_rows(cls, file: str) -> EmptyTable:
        return cls(NO_ROWS.format(file=file))


class MissingHeader(DatasetMalformed):
    def __init__(self, file: str, position: int) -> None:
        super().__init__(MISSING_HEADER.format(file=file, position=position))


class BadColumnNames(DatasetMalformed):
    @classmethod
    def empty(cls, file: str, position: int) -> BadColumnNames:
        return cls(EMPTY_COLUMN_NAME.format(file=file, position=position))

    @classmethod
    def duplicate(cls, file: str, name: str, first: int, second: int) -> BadColumnNames:
        return cls(DUPLICATE_COLUMN_NAME.format(file=file, name=name, first=first, second=second))

    @classmethod
    def multiline(cls, file: str, position: int) -> BadColumnNames:
        return cls(MULTILINE_COLUMN_NAME.format(file=file, position=position))


class WrongDelimiter(DatasetMalformed):
    def __init__(self, file: str, delimiter: str) -> None:
        super().__init__(WRONG_DELIMITER.format(file=file, delimiter=delimiter))


class RaggedRow(DatasetMalformed):
    def __init__(self, file: str, line: int | None, got: int, expected: int) -> None:
        fields = "field" if got == 1 else "fields"
        if line is None:
            text = RAGGED_ROW_SOMEWHERE.format(file=file, got=got, fields=fields, expected=expected)
        else:
            text = RAGGED_ROW.format(
                file=file, line=line, got=got, fields=fields, expected=expected
            )
        super().__init__(text)
        self.line = line
        self.got = got
        self.expected = expected


class UnparsableCsv(DatasetMalformed):
    @classmethod
    def after_row(cls, file: str, rows: int) -> UnparsableCsv:
        return cls(UNPARSABLE_CSV.format(file=file, rows=rows))

    @classmethod
    def in_header(cls, file: str) -> UnparsableCsv:
        return cls(UNPARSABLE_HEADER.format(file=file))


class TableChanged(DatasetMalformed):
    def __init__(self, file: str, what: str) -> None:
        super().__init__(TABLE_CHANGED.format(file=file, what=what))


class ClassificationRejected(DatasetError):
    pass


class UnknownColumn(ClassificationRejected):
    def __init__(self, name: str, columns: Sequence[str]) -> None:
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        super().__init__(UNKNOWN_COLUMN.format(name=name, columns=shown))


class UnknownLevel(ClassificationRejected):
    def __init__(self, level: str, column: str, levels: Sequence[str]) -> None:
        super().__init__(UNKNOWN_LEVEL.format(level=level, column=column, levels=", ".join(levels)))


class MalformedOverride(ClassificationRejected):
    @classmethod
    def not_an_assignment(cls, text: str) -> MalformedOverride:
        return cls(MALFORMED_OVERRIDE.format(text=text))

    @classmethod
    def conflicting(cls, column: str, first: str, second: str) -> MalformedOverride:
        return cls(CONFLICTING_OVERRIDE.format(column=column, first=first, second=second))
