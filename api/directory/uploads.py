"""Uploaded import files: copied to a file of our own within the byte limit, refused before the 202 when their own
index already passes a row or cell limit, and removed on every path (a killed server's leftovers at start-up).

The request body itself is counted as it arrives by the app's BodyLimit middleware (api/input_checks.py), which
answers 413 before the route runs; the bounded copy here keeps the route's own guarantee without it.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from api.directory.limits import Limits, TooLarge, check_xlsx, megabytes
from api.http.errors import ApiError
from api.settings import Settings

log = logging.getLogger("jointinspect.directory")

UPLOAD_PREFIX = "jointinspect-upload-"
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".txt")
COPY_CHUNK = 1 << 20
UNPACK_FACTOR = 20  # an XLSX unpacking to more than this many times the upload limit is a zip bomb
STALE_SECONDS = 3600.0  # an upload copy this old belongs to no running import: its server was killed


def upload_too_large(limit: int) -> ApiError:
    return ApiError(413, "upload_too_large", f"上传的文件超过 {megabytes(limit)} MB 的上限：请拆分为多个文件分别导入。",
                    {"limit_bytes": limit})


def import_limits(settings: Settings) -> Limits:
    return Limits(rows=settings.max_import_rows, columns=settings.max_import_columns,
                  unpacked_bytes=settings.max_upload_bytes * UNPACK_FACTOR)


def save_upload(source: BinaryIO, filename: str, limit: int) -> tuple[Path, str]:
    """Copy the upload to a file of our own (the request's copy goes when the response does); returns its path
    and a digest of its bytes (a retried upload with the same Idempotency-Key must carry the same file).

    Stops one byte past `limit` with 413 and leaves no copy behind."""
    suffix = Path(filename).suffix.lower()
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(prefix=UPLOAD_PREFIX, suffix=suffix if suffix in UPLOAD_SUFFIXES else "",
                                     delete=False) as target:
        path = Path(target.name)
        try:
            while chunk := source.read(min(COPY_CHUNK, limit + 1 - size)):
                size += len(chunk)
                if size > limit:
                    raise upload_too_large(limit)
                digest.update(chunk)
                target.write(chunk)
        except BaseException:
            target.close()
            discard(path)
            raise
    return path, digest.hexdigest()


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def refuse_oversized(path: Path, limits: Limits) -> None:
    """422 import_too_large before the 202 when the XLSX's own index (zip sizes, sheet dimension) passes a limit.

    A CSV has no index: its rows are counted as the import reads them (the import then fails with the reason)."""
    try:
        check_xlsx(path, limits)
    except TooLarge as exc:
        raise ApiError(422, "import_too_large", str(exc) + "。", exc.details) from None


def sweep_stale_uploads(directory: Path | None = None, older_than: float = STALE_SECONDS,
                        now: float | None = None) -> int:
    """Remove upload copies older than `older_than` seconds from the temporary directory; returns how many.

    Every import removes its own copy when it ends, so only a killed server leaves one. A running import opens its
    copy within seconds of the upload (and an open file outlives its name), so an hour-old copy is nobody's."""
    folder = directory or Path(tempfile.gettempdir())
    cutoff = (time.time() if now is None else now) - older_than
    removed = 0
    for path in folder.glob(UPLOAD_PREFIX + "*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process swept it first
            continue
        except PermissionError:  # another user's file in a shared /tmp: not ours to remove
            log.warning("cannot remove the leftover upload %s: permission denied", path)
    if removed:
        log.info("removed %d leftover upload file(s) from %s", removed, folder)
    return removed
