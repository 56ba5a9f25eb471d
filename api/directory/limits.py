"""How much of an import file is read: rows (blank ones too), cells per row, and an XLSX's unpacked size.

A hostile or careless file (two million empty rows, a column at XFD, a zip bomb) must end in seconds with a reason
that names the limit, never sit reading for minutes or piling up memory. What the file's own index declares (the
zip's member sizes, the sheet's `dimension`) is checked before the 202; a sheet that declares no range has its row
elements counted (a byte scan) before openpyxl opens it; the rows themselves are counted as they stream.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator
from xml.etree.ElementTree import iterparse

XLSX_MAGIC = b"PK\x03\x04"
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")  # <row …>, <row/>, or with a namespace prefix
SCAN_CHUNK = 1 << 20
SCAN_TAIL = 64


@dataclass(frozen=True)
class Limits:
    """None: no limit (direct callers such as the benchmark); the HTTP imports take them from the settings."""

    rows: int | None = None  # rows below the header, blank rows included
    columns: int | None = None  # cells in any one row
    unpacked_bytes: int | None = None  # an XLSX's members, uncompressed


class TooLarge(Exception):
    """The file passes one of the import's limits; the message (Chinese) names it, `details` gives it to programs."""

    def __init__(self, message: str, **details: int) -> None:
        super().__init__(message)
        self.details = details


def too_many_rows(limit: int) -> TooLarge:
    return TooLarge(f"文件超过 {limit} 行的上限（表头以下每一行都计入，空行也算）：请删除多余的空行，或拆分为多个不超过 "
                    f"{limit} 行的文件分别导入", limit_rows=limit)


def too_many_cells(line: int, count: int, limit: int) -> TooLarge:
    return TooLarge(f"第 {line} 行有 {count} 个单元格，超过每行 {limit} 个的上限：请删除多余的列（包括空列）后重新导入",
                    limit_columns=limit)


class RowCount:
    """Counts every row read, the header and blank rows included, and refuses the first one past a limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.read = limits, 0
        self._most = None if limits.rows is None else limits.rows + 1  # the header row besides

    def next_take(self, wanted: int) -> int:
        """How many rows to read next: never more than one past the limit, so reading stops there."""
        return wanted if self._most is None else max(1, min(wanted, self._most + 1 - self.read))

    def add(self, lines: list[int], rows: list[Any]) -> None:
        """Count a batch of rows as read (before blank rows are dropped); line numbers name a too-wide row."""
        self.read += len(rows)
        if self._most is not None and self.read > self._most:
            raise too_many_rows(self.limits.rows)  # type: ignore[arg-type]
        columns = self.limits.columns
        if columns is not None and rows and max(map(len, rows)) > columns:
            at = next(i for i, row in enumerate(rows) if len(row) > columns)
            raise too_many_cells(lines[at], len(rows[at]), columns)

    def numbered(self, rows: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """(row number, row) one at a time, stopping at the first row past a limit (XLSX: a row number is a line)."""
        most, columns = self._most, self.limits.columns
        for line, row in enumerate(rows, start=1):
            if most is not None and line > most:
                raise too_many_rows(self.limits.rows)  # type: ignore[arg-type]
            if columns is not None and len(row) > columns:
                raise too_many_cells(line, len(row), columns)
            self.read = line
            yield line, row


def check_unpacked(archive: zipfile.ZipFile, limits: Limits) -> None:
    """A zip whose members unpack to more than the limit is a zip bomb, not a spreadsheet."""
    if limits.unpacked_bytes is None:
        return
    if sum(info.file_size for info in archive.infolist()) > limits.unpacked_bytes:
        raise TooLarge(f"XLSX 文件解压后超过 {megabytes(limits.unpacked_bytes)} MB，不像正常的表格文件：请用 Excel "
                       "另存为 .xlsx 后重新导入", limit_unpacked_bytes=limits.unpacked_bytes)


def check_dimension(max_row: int | None, max_column: int | None, limits: Limits) -> None:
    """The sheet's declared range (its `dimension`, absent in some files) against the limits."""
    if limits.columns is not None and max_column is not None and max_column > limits.columns:
        raise TooLarge(f"工作表的范围有 {max_column} 列，超过每行 {limits.columns} 个单元格的上限：请删除多余的列"
                       "（包括只设置了格式的空列）后重新导入", limit_columns=limits.columns)
    if limits.rows is not None and max_row is not None and max_row - 1 > limits.rows:
        raise TooLarge(f"工作表的范围有 {max_row} 行，超过 {limits.rows} 行的上限（表头以下每一行都计入，空行也算）："
                       f"请删除多余的行（包括只设置了格式的空行），或拆分为多个不超过 {limits.rows} 行的文件分别导入",
                       limit_rows=limits.rows)


def check_xlsx(path: Path, limits: Limits, count_rows: bool = False) -> None:
    """Refuse an XLSX whose zip index or first sheet's `dimension` already passes a limit: cheap enough to run
    before the import starts (the zip's directory, workbook.xml and each sheet's first elements, never its rows).

    count_rows (the import itself, before openpyxl opens the file): a sheet without a `dimension` has its row
    elements counted too, up to the limit, for openpyxl would otherwise scan all of it (every sheet, the others
    too) looking for one, holding on to every row. Anything that is not a readable XLSX passes: the import reports
    that in its own words.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.utils.exceptions import InvalidFileException

    with open(path, "rb") as f:
        if f.read(len(XLSX_MAGIC)) != XLSX_MAGIC:
            return
        f.seek(0)
        try:
            reader = ExcelReader(f, read_only=True, keep_links=False)
        except (zipfile.BadZipFile, InvalidFileException, OSError, ValueError):
            return
        try:
            check_unpacked(reader.archive, limits)
            _check_sheets(reader, limits, count_rows)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError, SyntaxError):
            return  # SyntaxError: the XML parser's ParseError
        finally:
            reader.archive.close()


def _check_sheets(reader: Any, limits: Limits, count_rows: bool) -> None:
    """The worksheets in workbook order (the first is the one imported; chartsheets are no worksheets)."""
    reader.read_manifest()
    reader.read_workbook()
    sheets = [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
              if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
    for position, (name, target) in enumerate(sheets if count_rows else sheets[:1]):
        with reader.archive.open(target) as src:
            size = _dimension(src)
        if size is not None:
            if position == 0:
                check_dimension(*size, limits)
        elif count_rows and limits.rows is not None:
            with reader.archive.open(target) as src:
                if _more_rows_than(src, limits.rows + 1):
                    raise too_many_rows(limits.rows) if position == 0 else TooLarge(
                        f"工作表「{name}」超过 {limits.rows} 行的上限（空行也算）：导入只读取第一个工作表，"
                        "请删除其他不需要的工作表后重新导入", limit_rows=limits.rows)


def _dimension(src: IO[bytes]) -> tuple[int, int] | None:
    """(max_row, max_column) the sheet declares; `dimension` comes before `sheetData`: stop at the latter."""
    from openpyxl.utils.cell import range_boundaries

    for _, element in iterparse(src, events=("start",)):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "dimension":
            _, _, max_column, max_row = range_boundaries(element.get("ref", ""))
            return max_row, max_column
        if tag == "sheetData":
            return None
    return None


def _more_rows_than(src: IO[bytes], most: int) -> bool:
    """Whether the sheet's XML holds more than `most` row elements: a byte scan that stops once it knows."""
    seen, tail = 0, b""
    while True:
        chunk = src.read(SCAN_CHUNK)
        block = tail + chunk
        cut = max(len(block) - SCAN_TAIL, 0) if chunk else len(block)  # a tag across chunks: counted next time
        for match in ROW_TAG.finditer(block):
            if match.start() >= cut:
                break
            seen += 1
        if seen > most:
            return True
        if not chunk:
            return False
        tail = block[cut:]


def megabytes(n: int) -> str:
    """Bytes as MB (MiB) for a sentence: 64, 1.5, 0.095."""
    mb = n / (1 << 20)
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.2g}"
