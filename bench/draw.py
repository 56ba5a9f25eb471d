"""Drawing 50,000 subjects from a 5,000,000-subject directory in PostgreSQL, beside the naive way.

The draw: region + industry filter (a pool of ~250,000), per-credit-class ratios, deregistered subjects and
subjects at the yearly cap left out, exempt subjects replaced — exactly what `POST …/draws/{id}/execution` does
(`api.storage.draws.load_pool`, then `domain.draw.evaluate`: `stratum_counts`, `draw`, the fingerprint and the
stored pool list).
The naive way, in the same run on the same data: per credit class, COUNT the pool and
`ORDER BY random() LIMIT k` with the same exclusions (exempt subjects simply excluded).

    python bench/draw.py [--subjects 5000000] [--repeat 3]

Prints figures and ends with one TARGET line per target; nothing is asserted.
"""
from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

from _common import FreshDatabases, bench_database_url, print_table, redact, target_line  # noqa: I001
from sqlalchemy import create_engine, text

RATIOS = {"A": "12", "B": "20", "C": "30", "D": "50"}  # percent per credit class (R-DRAW-3)
CRITERIA = {"region": "R0", "industry": "I0", "ratios_by_credit": RATIOS}
YEAR = 2026
TASK = "00000000-0000-0000-0000-00000000bench"


def load_directory(url: str, subjects: int) -> float:
    """5 regions × 4 industries; classes A 40 %, B 35 %, C 20 %, D 5 %; 2 % deregistered, 3 % exempt, 1 % high risk."""
    from api.storage.migrations import upgrade

    engine = create_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO subjects (code, name, region, industry, risk_level, credit_class, exempt, deregistered,
                                  created_at, updated_at)
            SELECT '9111' || lpad(n::text, 13, '0') || 'X', '检查对象' || n, 'R' || (n % 5), 'I' || ((n / 5) % 4),
                   CASE WHEN n % 100 = 7 THEN 'high' ELSE 'medium' END,
                   CASE WHEN h < 40 THEN 'A' WHEN h < 75 THEN 'B' WHEN h < 95 THEN 'C' ELSE 'D' END,
                   n % 33 = 3, n % 50 = 11, now(), now()
            FROM (SELECT n, (hashint4(n) & 2147483647) % 100 AS h FROM generate_series(1, :n) AS n) AS s
        """), {"n": subjects})
        # 1 % of the filtered pool was already drawn into two other tasks this year (R-DRAW-2)
        conn.execute(text("""
            INSERT INTO subject_draws (draw_id, code, task_id, lead_department, year, current)
            SELECT 'prior-' || t, code, 'prior-task-' || t, 'scjg', :year, true
            FROM subjects, generate_series(1, 2) AS t
            WHERE region = 'R0' AND industry = 'I0' AND (hashtext(code) & 127) = 5
        """), {"year": YEAR})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def our_draw(url: str) -> tuple[float, dict]:
    """The platform's draw, timed from the first query to the compressed pool list (R-DRAW-1..5)."""
    from api.storage.draws import compress_pool, load_pool
    from domain import draw as algorithm

    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        pool = load_pool(conn, CRITERIA, year=YEAR, task_id=TASK)
    drawn = algorithm.evaluate(pool, CRITERIA, algorithm.new_seed())
    evidence = compress_pool(drawn.pool_list)
    finished = time.perf_counter()
    engine.dispose()
    return finished - started, {
        "pool": len(drawn.pool.candidates), "drawn": len(drawn.result.drawn), "replaced": len(drawn.result.replaced),
        "capped": drawn.pool.capped, "evidence_kb": len(evidence) // 1024, "fingerprint": drawn.fingerprint[:12]}


def naive_draw(url: str) -> tuple[float, int]:
    """COUNT per class, then ORDER BY random() LIMIT k per class, with the same exclusions."""
    engine = create_engine(url)
    where = """region = 'R0' AND industry = 'I0' AND NOT deregistered AND NOT exempt AND credit_class = :cls
               AND (risk_level = 'high' OR code NOT IN (
                   SELECT code FROM subject_draws WHERE year = :year AND current AND task_id <> :task
                   GROUP BY code HAVING count(DISTINCT task_id) >= 2))"""
    started = time.perf_counter()
    drawn = 0
    with engine.connect() as conn:
        for cls, ratio in RATIOS.items():
            params = {"cls": cls, "year": YEAR, "task": TASK}
            size = conn.execute(text(f"SELECT count(*) FROM subjects WHERE {where}"), params).scalar_one()
            k = -(-size * Decimal(ratio) // 100)
            drawn += len(conn.execute(text(f"SELECT code FROM subjects WHERE {where} ORDER BY random() LIMIT :k"),
                                      params | {"k": int(k)}).all())
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way; the median is reported")
    args = parser.parse_args()
    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_draw") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}")
        print(f"loading {args.subjects:,} subjects … {load_directory(url, args.subjects):.1f} s")
        ours, naive, details = [], [], {}
        for _ in range(args.repeat):  # alternate, so neither way always gets the warmer cache
            seconds, details = our_draw(url)
            ours.append(seconds)
            seconds, naive_drawn = naive_draw(url)
            naive.append(seconds)
        print_table(["way", "median s", "runs s", "pool", "drawn"], [
            ["verifiable draw", f"{statistics.median(ours):.3f}", " ".join(f"{s:.3f}" for s in ours),
             details["pool"], details["drawn"]],
            ["ORDER BY random()", f"{statistics.median(naive):.3f}", " ".join(f"{s:.3f}" for s in naive),
             "-", naive_drawn]])
        print(f"verifiable draw, last run: {details['evidence_kb']} KiB pool list stored, "
              f"{details['replaced']} exempt replaced, {details['capped']} left out at the yearly cap, "
              f"fingerprint {details['fingerprint']}…")
        speedup = statistics.median(naive) / statistics.median(ours)
        print(target_line("draw_50k_of_5m_seconds", statistics.median(ours), "<", 2, digits=3))
        print(target_line("draw_speedup_vs_order_by_random", speedup, ">", 1, digits=2))


if __name__ == "__main__":
    main()
