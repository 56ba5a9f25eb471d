"""Importing a 1,000,000-row CSV of subjects into PostgreSQL: rows/s and peak memory (issue 3).

Generates a CSV of valid subjects (all 17 columns, Chinese headers, valid USCCs) in a temporary directory, makes a
fresh PostgreSQL database `jointinspect_bench_import_<pid>` on the server of JOINTINSPECT_BENCH_DATABASE_URL
(default postgresql+psycopg2://postgres@127.0.0.1:5432/test), imports the file through the importer itself
(api.directory.importer.run_import: streaming read, validation, COPY staging, set-based upsert and change log, one
transaction; no HTTP), and drops the database at the end.

rows/s = data rows / wall time of run_import (validation, upsert, one change-log row per subject, commit).
Peak RSS = this process's ru_maxrss over the whole run (file generation included). PostgreSQL's own memory is not
counted. Run: `python bench/import.py [--rows 1000000] [--no-reimport]`. The last lines are the TARGET lines.
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Sequence

if str(Path(__file__).resolve().parent) not in sys.path:  # imported by another bench script: already there, after
    sys.path.append(str(Path(__file__).resolve().parent))  # the project, which must stay first (see _common)
from _common import (  # noqa: E402  (bench/ made importable above)
    CpuSnapshot, CpuUse, bench_database_url, redact, target_line,
)

ROWS_TARGET = 50_000
RSS_TARGET_MB = 500
HEADER = ["统一社会信用代码", "名称", "住所", "法定代表人", "联系电话", "所属区域", "所属行业", "风险等级", "信用等级",
          "经营异常名录", "重点关注", "失信", "严重违法", "投诉次数", "免检", "注销吊销", "标签"]
REGIONS = ["示范区", "东城区", "西城区", "南湖区", "北山县", "高新区", "临港新区", "经开区"]
INDUSTRIES = ["餐饮服务", "食品销售", "药品零售", "建筑施工", "文化娱乐", "交通运输", "危险化学品", "医疗机构",
              "旅游住宿", "网吧"]
RISKS = ["低", "中", "高", ""]
TAGS = ["", "食品", "校园周边", "食品,校园周边", "重点时段", "冷链"]


def generate(path: Path, rows: int) -> None:
    """A CSV of `rows` valid subjects, written as it goes (UTF-8 with BOM, as Excel writes it)."""
    from domain.codes import generate_uscc

    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n in range(rows):
            out.writerow([
                generate_uscc(n), f"示范{INDUSTRIES[n % 10][:2]}有限公司第{n}号", f"示范市{REGIONS[n % 8]}幸福路{n % 997}号",
                f"张{n % 1000}", f"0571-{8000_0000 + n % 1_000_0000}", REGIONS[n % 8], INDUSTRIES[n % 10], RISKS[n % 4],
                "ABCD"[n % 4], "是" if n % 50 == 0 else "否", "是" if n % 40 == 0 else "否", "否",
                "是" if n % 300 == 0 else "否", n % 5, "是" if n % 100 == 0 else "否", "否", TAGS[n % 6]])


def _import(engine, path: Path, label: str, database: str,  # type: ignore[no-untyped-def]
            log_each_created: bool = False):
    from api.directory.importer import ImportJob, Progress, run_import
    from domain.usecases import Actor
    from domain.clock import SystemClock

    clock = SystemClock()
    job = ImportJob(id=uuid.uuid4().hex, kind="subjects", path=path, filename=path.name,
                    actor=Actor(user="bench", department="scjg"), scope_department="scjg",
                    log_each_created=log_each_created)
    progress = Progress.for_job(job, clock.now())
    done = threading.Event()

    def report() -> None:
        while not done.wait(10):
            print(f"  {label}: {progress.phase} {progress.percent:5.1f}% read {progress.rows_total:,} "
                  f"applied {progress.rows_applied:,}", flush=True)

    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    cpu_before, started = CpuSnapshot.take(None, database), time.perf_counter()
    result = run_import(engine, job, clock, progress)
    seconds = time.perf_counter() - started
    cpu = CpuUse.between(cpu_before, CpuSnapshot.take(None, database))
    done.set()
    if result.status != "succeeded":
        raise SystemExit(f"{label} failed: {result.error} {result.first_rejections[:3]}")
    print(f"  {label}: CPU seconds: importer {cpu.bench:.1f}, its PostgreSQL backend {cpu.postgres:.1f}, "
          f"other work on the machine {cpu.other:.1f} (of {(os.cpu_count() or 1) * seconds:.0f} available)")
    return result, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-reimport", action="store_true", help="skip the second, all-unchanged import")
    parser.add_argument("--log-each-created", action="store_true",
                        help="also write one change-log row per created subject (the import's default writes one per "
                             "updated subject and lets the import record stand for the created ones)")
    args = parser.parse_args(argv)

    from sqlalchemy import create_engine, func, select, text

    from api.storage import tables
    from api.accounts import add_department
    from api.storage.migrations import upgrade

    admin_url = bench_database_url()
    name = f"jointinspect_bench_import_{os.getpid()}"
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory(prefix="jointinspect-bench-import-") as tmp:
        path = Path(tmp) / "subjects.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(url)
        try:
            upgrade(engine)
            with engine.begin() as conn:
                add_department(conn, "scjg", "市场监督管理局")
            print(f"PostgreSQL {version} at {redact(url)}; {os.cpu_count()} CPUs; {datetime.now():%Y-%m-%d %H:%M}")
            first, seconds = _import(engine, path, "first import", name, args.log_each_created)
            rate = args.rows / seconds
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(tables.subjects)).scalar_one()
                logged = conn.execute(select(func.count()).select_from(tables.change_log)).scalar_one()
            print(f"first import: {args.rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s; created "
                  f"{first.rows_created:,}; subjects stored {stored:,}; change-log rows {logged:,}")
            if not args.no_reimport:
                again, seconds2 = _import(engine, path, "re-import", name)
                print(f"re-import (every row unchanged): {seconds2:.1f} s = {args.rows / seconds2:,.0f} rows/s; "
                      f"unchanged {again.rows_unchanged:,}")
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(target_line("import_rows_per_s", rate, ">=", ROWS_TARGET, digits=0))
    print(target_line("import_peak_rss_mb", peak_mb, "<", RSS_TARGET_MB, digits=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
