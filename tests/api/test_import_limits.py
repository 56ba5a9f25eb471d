"""Bounded imports: the upload's bytes, the file's rows (blank ones too) and cells per row, an XLSX's unpacked size,
and no upload copy left behind, on SQLite and PostgreSQL.

The server runs with small limits (LIMITS) so that files over them stay small and the tests quick; the temporary
directory is the test's own, so what is (not) left there can be seen.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from api.storage.tables import imports, subjects
from api.directory.uploads import save_upload
from api.http.errors import ApiError
from domain.codes import generate_uscc
from tests.api.test_imports import (
    HEADER, directory_checksum, imported, subject_row, upload, write_csv, write_xlsx,
)
from tests.support import LiveServer, assert_error, created

LIMITS = {"max_upload_bytes": 1 << 20, "max_import_rows": 1_000, "max_import_columns": 20}
UPLOADS = "jointinspect-upload-*"


@pytest.fixture
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory the server copies uploads to (tempfile's, for this test only)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def server(services, upload_dir: Path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A live server over the usual store, with LIMITS."""
    services.settings = services.settings.model_copy(update=LIMITS)
    with LiveServer.start(services) as live:
        yield live


def counts(server: LiveServer) -> tuple[int, int]:
    """(import records, subjects): equal before and after means the request recorded nothing."""
    with server.services.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(imports)).scalar_one(),
                conn.execute(select(func.count()).select_from(subjects)).scalar_one())


def big_csv(path: Path, size: int) -> Path:
    """A CSV of valid subject rows, at least `size` bytes."""
    rows, written = [], 0
    while written < size:
        rows.append(subject_row(0, code=generate_uscc(len(rows)), address="幸福路" + "号" * 40))
        written += len(",".join(rows[-1]).encode()) + 2
    return write_csv(path, HEADER, rows)


def multipart_chunks(total: int, boundary: str = "limits-boundary") -> Iterator[bytes]:
    """A multipart upload of `total` bytes of file content, streamed in 64 KiB pieces (no Content-Length)."""
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
           "Content-Type: text/csv\r\n\r\n").encode()
    sent = 0
    while sent < total:
        piece = min(64 * 1024, total - sent)
        yield b"x" * piece
        sent += piece
    yield f"\r\n--{boundary}--\r\n".encode()


def without_dimension(path: Path) -> Path:
    """The same workbook with its sheet's `dimension` (declared range) taken out, as some writers leave it."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = re.sub(rb"<dimension [^>]*/>", b"", members[sheet])
    assert b"<dimension" not in members[sheet]
    stripped = path.with_name("stripped-" + path.name)
    with zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return stripped


def assert_too_large_upload(response) -> None:  # type: ignore[no-untyped-def]
    error = assert_error(response, 413, "upload_too_large")
    assert error["details"] == {"limit_bytes": LIMITS["max_upload_bytes"]} and "MB" in error["message"]


def test_an_upload_over_the_byte_limit_gets_413_records_nothing_and_leaves_no_temp_file(server, tmp_path,
                                                                                      upload_dir):
    path = big_csv(tmp_path / "big.csv", 1_100_000)  # valid rows: without the byte limit, a 202 and an import
    assert_too_large_upload(upload(server.client("scjg"), path))
    assert counts(server) == (0, 0)
    assert list(upload_dir.glob(UPLOADS)) == []


def test_an_upload_without_a_length_is_cut_off_once_it_passes_the_limit(server, upload_dir):
    response = server.client("scjg").post("/subjects/imports", content=multipart_chunks(3_000_000),
                                          headers={"Content-Type": "multipart/form-data; boundary=limits-boundary"})
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_too_large_upload(response)
    assert counts(server) == (0, 0) and list(upload_dir.glob(UPLOADS)) == []


def test_the_upload_copy_stops_one_byte_past_the_limit_and_is_removed(upload_dir):
    """The route's own guarantee, whatever the body limit in front of it lets through (no store involved)."""
    class Endless:
        handed_out = 0

        def read(self, n: int) -> bytes:
            self.handed_out += n
            assert self.handed_out < 100 * 1000, "the copy did not stop"
            return b"x" * n

    source = Endless()
    with pytest.raises(ApiError) as refused:
        save_upload(source, "big.csv", 1000)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code, refused.value.details) == (413, "upload_too_large",
                                                                                 {"limit_bytes": 1000})
    assert source.handed_out == 1001 and list(upload_dir.glob(UPLOADS)) == []


def test_an_xlsx_whose_range_passes_the_row_limit_is_refused_at_once_with_the_limit(server, tmp_path, upload_dir):
    book = Workbook()  # a normal workbook records its range (`dimension`): A1:Q5001, almost all of it empty
    sheet = book.active
    sheet.append(HEADER)
    sheet.cell(row=5001, column=1, value=generate_uscc(1))
    book.save(tmp_path / "empty.xlsx")
    error = assert_error(upload(server.client("scjg"), tmp_path / "empty.xlsx"), 422, "import_too_large")
    assert "1000 行" in error["message"] and error["details"] == {"limit_rows": 1000}
    assert counts(server) == (0, 0) and list(upload_dir.glob(UPLOADS)) == []


def test_an_xlsx_of_empty_rows_without_a_range_fails_quickly_naming_the_limit_and_changes_nothing(server, tmp_path,
                                                                                               upload_dir):
    # written as it streams (no `dimension`): 5,000 empty rows, then one valid subject the import must not create
    path = write_xlsx(tmp_path / "empty.xlsx", HEADER, [[] for _ in range(5_000)] + [subject_row(0)])
    started = time.monotonic()
    view = imported(server, path)
    assert time.monotonic() - started < 30  # a generous bound: without the count it reads every row
    assert view["status"] == "failed" and "1000 行" in view["error"] and "空行" in view["error"], view
    assert counts(server) == (1, 0)  # the failed import's record only
    assert list(upload_dir.glob(UPLOADS)) == []


def test_an_xlsx_whose_rows_jump_past_the_limit_without_a_range_fails_naming_the_limit(server, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(subject_row(0))
    for column, value in enumerate(subject_row(1), start=1):  # rows 3..5000 are not in the file at all
        sheet.cell(row=5001, column=column, value=value)
    book.save(tmp_path / "sparse.xlsx")
    view = imported(server, without_dimension(tmp_path / "sparse.xlsx"))
    assert view["status"] == "failed" and "1000 行" in view["error"], view
    assert counts(server) == (1, 0)


def test_a_csv_over_the_row_limit_counting_blank_lines_fails_with_the_reason_and_changes_nothing(server, tmp_path):
    assert imported(server, write_csv(tmp_path / "a.csv", HEADER, [subject_row(n) for n in range(3)]))["status"] \
        == "succeeded"
    before = directory_checksum(server)
    rows = [subject_row(0, code=generate_uscc(n)) for n in range(995)] + [[] for _ in range(10)]  # 1,005 rows
    view = imported(server, write_csv(tmp_path / "b.csv", HEADER, rows))
    assert view["status"] == "failed" and "1000 行" in view["error"], view
    assert (view["rows_created"], view["rows_updated"]) == (0, 0)
    assert directory_checksum(server) == before
    assert created(server.client("scjg").get("/subjects"), 200)["total"] == 3


def test_a_csv_row_with_more_cells_than_the_limit_fails_naming_its_line(server, tmp_path):
    rows = [subject_row(0), subject_row(1) + ["多余"] * 8, subject_row(2)]  # line 3: 25 cells, the limit is 20
    view = imported(server, write_csv(tmp_path / "wide.csv", HEADER, rows))
    assert view["status"] == "failed", view
    assert "第 3 行有 25 个单元格" in view["error"] and "20 个" in view["error"]
    assert counts(server) == (1, 0)


def test_an_xlsx_wider_than_the_cell_limit_is_refused_at_once(server, tmp_path, upload_dir):
    book = Workbook()
    book.active.append(HEADER + [f"列{n}" for n in range(10)])  # 27 columns
    book.active.append(subject_row(0))
    book.save(tmp_path / "wide.xlsx")
    error = assert_error(upload(server.client("scjg"), tmp_path / "wide.xlsx"), 422, "import_too_large")
    assert "27 列" in error["message"] and error["details"] == {"limit_columns": 20}
    assert counts(server) == (0, 0) and list(upload_dir.glob(UPLOADS)) == []


def test_an_xlsx_that_unpacks_past_twenty_times_the_upload_limit_is_refused_as_a_zip_bomb(server, tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", HEADER, [subject_row(0)])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (21 << 20))  # 21 MB unpacked, a few KB packed
    assert path.stat().st_size < LIMITS["max_upload_bytes"]
    error = assert_error(upload(server.client("scjg"), path), 422, "import_too_large")
    assert "解压后超过" in error["message"] and error["details"] == {"limit_unpacked_bytes": 20 << 20}
    assert counts(server) == (0, 0)


def test_an_upload_copy_left_by_a_killed_server_is_swept_at_start_up(services, upload_dir):
    old, fresh = upload_dir / "jointinspect-upload-old.xlsx", upload_dir / "jointinspect-upload-fresh.csv"
    other = upload_dir / "someone-elses.csv"
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for path in (old, other):
        os.utime(path, (two_hours_ago, two_hours_ago))
    with LiveServer.start(services):  # returns once the app has started up
        assert not old.exists()
        assert fresh.exists() and other.exists()  # a running import's copy; not ours
