"""Tables as JSON, CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or XLSX, with Chinese headers."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Literal

from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from api.http.xlsx import write_xlsx

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(body: dict, rows: list[dict], columns: list[tuple[str, str]], fmt: Format,
                   filename: str) -> Response:
    """`body` as JSON, or `rows` as a sheet whose columns are (key, Chinese header) pairs."""
    if fmt == "json":
        return json_response(body)
    header = [title for _, title in columns]
    values = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(values)
        return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(filename[:31])
    sheet.append(header)
    for line in values:
        sheet.append(line)
    data = io.BytesIO()
    book.save(data)
    return Response(data.getvalue(), media_type=XLSX, headers=disposition)


def _plain(value: Any) -> Any:
    """What json.dumps cannot write itself, as jsonable_encoder would write it (dates ISO 8601, ids as text)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return jsonable_encoder(value)


def json_response(body: dict) -> Response:
    """A large table as JSON: json.dumps with a fallback, 4x faster than jsonable_encoder on thousands of rows
    (an oversight view of 2,000 rows: 105 ms of encoding), with the same text for these types."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_plain).encode("utf-8"),
                    media_type="application/json")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def stream_table(header: list[str], rows: Iterable[list[Any]], fmt: Literal["csv", "xlsx"],
                 filename: str) -> Response:
    """A sheet written row by row: CSV streamed to the client as it is produced; XLSX (api/http/xlsx.py) into a
    temporary file (a ZIP's directory comes last, so it is sent once written), removed once sent."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        def chunks() -> Iterator[bytes]:
            out = io.StringIO()
            writer = csv.writer(out)
            out.write("\ufeff")
            writer.writerow(header)
            for n, line in enumerate(rows, start=1):
                writer.writerow([_cell(v) for v in line])
                if n % 1000 == 0:
                    yield out.getvalue().encode("utf-8")
                    out.seek(0)
                    out.truncate()
            yield out.getvalue().encode("utf-8")

        return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers=disposition)
    handle = tempfile.NamedTemporaryFile(prefix="jointinspect-export-", suffix=".xlsx", delete=False)
    try:
        with handle:
            write_xlsx(handle, filename, header, ([_cell(v) for v in line] for line in rows))
    except BaseException:
        os.unlink(handle.name)
        raise
    return FileResponse(handle.name, media_type=XLSX, headers=disposition,
                        background=BackgroundTask(os.unlink, handle.name))
