"""Streaming readers of an uploaded file: CSV (UTF-8, UTF-8 with BOM, or GB18030 as Excel saves it) and XLSX.

Neither ever holds more than one row plus a read buffer: a 1,000,000-row file is read as it goes. Both count every
row they read, blank ones too, and stop at the first one past the import's limits (api/directory/limits.py).
"""
from __future__ import annotations

import csv
import io
import zipfile
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from api.directory.limits import XLSX_MAGIC, Limits, RowCount, TooLarge, check_dimension, check_xlsx

SNIFF_BYTES = 64 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class Unreadable(Exception):
    """The file as a whole cannot be read; the message says why, in Chinese."""


def detect_format(path: Path, filename: str) -> str:
    """'xlsx' or 'csv', from the file's first bytes (the name is only a hint)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC) or filename.lower().endswith(".xls"):
        raise Unreadable("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后重新导入")
    return "csv"


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes handed out, so progress can be told while the CSV reader streams."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.consumed = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n or 0


class Source:
    """Rows of one file: `header`, then `chunks(n)` of (line numbers, rows) without blank rows; `fraction` is how
    far reading has come."""

    header: list[Any]

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[Any]]]:
        raise NotImplementedError

    @property
    def fraction(self) -> float:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _without_blank(lines: list[int], rows: list[Any]) -> tuple[list[int], list[Any]]:
    if all(map(any, rows)):
        return lines, rows
    kept = [(n, r) for n, r in zip(lines, rows) if any(r)]
    return [n for n, _ in kept], [r for _, r in kept]


class CsvSource(Source):
    def __init__(self, path: Path, limits: Limits = Limits()) -> None:
        self.size = max(path.stat().st_size, 1)
        self._file = open(path, "rb")
        encoding = _sniff_encoding(self._file.read(SNIFF_BYTES))
        self._file.seek(0)
        self._counter = _CountingReader(self._file)
        buffered = io.BufferedReader(self._counter, buffer_size=1 << 20)
        self._text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
        self._reader = csv.reader(self._text)
        self._line = 0
        self._count = RowCount(limits)
        try:
            self.header = self._first_row()
        except (Unreadable, TooLarge):
            self.close()
            raise

    def _first_row(self) -> list[Any]:
        for _, rows in self.chunks(1):
            return rows[0]
        raise Unreadable("文件是空的：第一行应为列名（表头）")

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[list[str]]]]:
        """Rows read `size` at a time by the C reader; line numbers come from its line count."""
        reader, count = self._reader, self._count
        while True:
            try:
                rows = list(islice(reader, count.next_take(size)))
            except UnicodeDecodeError:
                raise Unreadable(f"第 {self._line + 1} 行附近的字符无法识别：请把文件另存为 UTF-8 编码的 CSV") from None
            except csv.Error as exc:
                raise Unreadable(f"第 {self._line + 1} 行附近不是有效的 CSV（{exc}）：请检查引号是否成对") from None
            if not rows:
                return
            first, self._line = self._line + 1, reader.line_num
            if self._line - first + 1 == len(rows):
                lines = list(range(first, self._line + 1))
            else:  # a quoted cell spans lines: each record starts after the line breaks inside the ones before
                lines, at = [], first
                for row in rows:
                    lines.append(at)
                    at += 1 + sum(cell.count("\n") for cell in row)
            count.add(lines, rows)  # blank rows too
            lines, rows = _without_blank(lines, rows)
            if rows:
                yield lines, rows

    @property
    def fraction(self) -> float:
        return min(self._counter.consumed / self.size, 1.0)

    def close(self) -> None:
        self._text.close()


class XlsxSource(Source):
    """The first worksheet, read with openpyxl in read-only mode (rows are parsed from the zip as they come)."""

    def __init__(self, path: Path, limits: Limits = Limits()) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            check_xlsx(path, limits, count_rows=True)  # before openpyxl unpacks or scans anything
            self._book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise Unreadable(f"不是有效的 XLSX 文件（{exc.__class__.__name__}），请用 Excel 另存为 .xlsx 后重试") from None
        if not self._book.worksheets:
            self._book.close()
            raise Unreadable("XLSX 文件中没有工作表")
        sheet = self._book.worksheets[0]
        self._total = sheet.max_row or 0  # from the sheet's dimension; some writers leave it out
        # with a dimension every row is padded to its width: a wide one would cost that much per (empty) row
        self._iter = RowCount(limits).numbered(sheet.iter_rows(values_only=True))
        self._line = 0
        try:
            check_dimension(sheet.max_row, sheet.max_column, limits)
            self.header = self._first_row()
        except (Unreadable, TooLarge):
            self.close()
            raise

    def _first_row(self) -> list[Any]:
        for _, rows in self.chunks(1):
            return list(rows[0])
        raise Unreadable("工作表是空的：第一行应为列名（表头）")

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[tuple[Any, ...]]]]:
        """Rows as openpyxl streams them from the zip; an XLSX row number is its line."""
        while True:
            try:
                numbered = list(islice(self._iter, size))
            except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                raise Unreadable(f"第 {self._line + 1} 行附近无法读取（{exc.__class__.__name__}），文件可能已损坏") from None
            if not numbered:
                return
            self._line = numbered[-1][0]
            lines, rows = _without_blank([n for n, _ in numbered], [r for _, r in numbered])
            if rows:
                yield lines, rows

    @property
    def fraction(self) -> float:
        return min(self._line / self._total, 1.0) if self._total else 0.0

    def close(self) -> None:
        self._book.close()


def open_source(path: Path, file_format: str, limits: Limits = Limits()) -> Source:
    return XlsxSource(path, limits) if file_format == "xlsx" else CsvSource(path, limits)


def _sniff_encoding(head: bytes) -> str:
    """UTF-8 (BOM or not) when the start decodes as UTF-8, else GB18030 (what Excel in Chinese saves as 'CSV')."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for cut in range(4):  # the sniffed block may end inside a multi-byte character
        try:
            head[:len(head) - cut].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            continue
    return "gb18030"
