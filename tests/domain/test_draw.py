"""The verifiable draw: uniform, independent of storage order, reproducible from the record (R-DRAW-1, -4, -5)."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from scipy.stats import chisquare  # type: ignore[import-untyped]

from domain import draw as d

SEED = "00" * 31 + "01"


def _pool(n: int, stratum: str = d.NO_STRATUM) -> dict[str, str]:
    return {f"91110000{i:09d}X": stratum for i in range(n)}


def test_every_pool_member_has_the_same_chance_chi_square():  # R-DRAW-1
    """Over many seeds on a 20-member pool, how often each member is drawn passes chi-square at p > 0.001."""
    pool = _pool(20)
    rng = random.Random(20260302)
    counts = dict.fromkeys(pool, 0)
    draws, k = 4000, 5
    for _ in range(draws):
        for code in d.draw(f"{rng.getrandbits(256):064x}", pool, {d.NO_STRATUM: k}).drawn:
            counts[code] += 1
    expected = draws * k / len(pool)
    statistic, p_value = chisquare(list(counts.values()), [expected] * len(pool))
    assert p_value > 0.001, (statistic, counts)


def test_the_result_does_not_depend_on_the_order_the_pool_was_read_in():  # R-DRAW-1
    pool = _pool(200)
    shuffled = list(pool.items())
    random.Random(7).shuffle(shuffled)
    assert d.draw(SEED, dict(shuffled), {d.NO_STRATUM: 17}).drawn == d.draw(SEED, pool, {d.NO_STRATUM: 17}).drawn


def test_the_fingerprint_does_not_depend_on_read_order_but_on_every_member():  # R-DRAW-5
    pool = _pool(50)
    reordered = dict(reversed(list(pool.items())))
    assert d.fingerprint(reordered) == d.fingerprint(pool)
    smaller = dict(list(pool.items())[1:])
    assert d.fingerprint(smaller) != d.fingerprint(pool)


def test_different_seeds_draw_differently_and_the_same_seed_draws_the_same():  # R-DRAW-5
    pool = _pool(100)
    first = d.draw(SEED, pool, {d.NO_STRATUM: 10}).drawn
    assert d.draw(SEED, pool, {d.NO_STRATUM: 10}).drawn == first
    assert d.draw("ff" * 32, pool, {d.NO_STRATUM: 10}).drawn != first


def test_excused_subjects_are_replaced_by_the_next_in_the_ranking():  # R-DRAW-4
    pool = _pool(30)
    plain = d.draw(SEED, pool, {d.NO_STRATUM: 3})
    excused = [plain.drawn[0]]
    result = d.draw(SEED, pool, {d.NO_STRATUM: 3}, excused=excused)
    ranked = d.ranking(SEED, pool)
    assert result.replaced == excused
    assert result.drawn == [c for c in ranked if c not in excused][:3]
    assert len(result.drawn) == 3 and excused[0] not in result.drawn


def test_each_stratum_draws_its_own_count():  # R-DRAW-3
    pool = _pool(40, "A") | {f"92440000{i:09d}Y": "D" for i in range(10)}
    result = d.draw(SEED, pool, {"A": 2, "D": 5})
    assert [len(result.by_stratum[s]) for s in ("A", "D")] == [2, 5]
    assert all(pool[c] == "D" for c in result.by_stratum["D"])


def test_a_stratum_too_small_reports_the_shortfall():  # R-DRAW-1
    result = d.draw(SEED, _pool(3), {d.NO_STRATUM: 5})
    assert len(result.drawn) == 3 and result.shortfall == {d.NO_STRATUM: 2}


@pytest.mark.parametrize("size,ratio,expected", [(100, Decimal("10"), 10), (101, Decimal("10"), 11),
                                                 (7, Decimal("5"), 1), (0, Decimal("50"), 0),
                                                 (10, Decimal("100"), 10)])
def test_ratio_counts_round_up(size, ratio, expected):  # R-DRAW-1
    assert d.count_for_ratio(size, ratio) == expected


def test_verify_matches_an_honest_record_and_catches_each_kind_of_tampering():  # R-DRAW-5
    pool = _pool(60)
    seed = d.new_seed()
    result = d.draw(seed, pool, {d.NO_STRATUM: 6}, excused=[d.ranking(seed, pool)[0]])
    record = {"algorithm": d.ALGORITHM, "version": d.VERSION, "seed": seed, "commitment": d.commitment(seed),
              "pool_fingerprint": d.fingerprint(pool), "counts": {d.NO_STRATUM: 6},
              "excused": [d.ranking(seed, pool)[0]], "drawn": result.drawn, "replaced": result.replaced}
    assert d.verify(record, pool).match
    assert not d.verify(record | {"commitment": d.commitment(d.new_seed())}, pool).match
    assert not d.verify(record | {"drawn": list(reversed(result.drawn))}, pool).match
    assert not d.verify(record, dict(list(pool.items())[:-1])).match


def test_pool_text_round_trips_through_parse_pool():  # R-DRAW-5
    pool = _pool(5, "B")
    assert d.parse_pool(d.pool_text(pool)) == pool
    with pytest.raises(ValueError, match="line 1"):
        d.parse_pool("no-tab-here\n")


def test_worked_example_in_the_readme_is_what_the_code_computes():  # R-DRAW-5
    """README's worked example, recomputed: a witness with the same inputs gets the same answer."""
    pool = {"91110000MA01A0001X": "A", "91110000MA01A0002X": "A", "91110000MA01A0003X": "A",
            "91110000MA01A0004X": "A", "91110000MA01A0005X": "B", "91110000MA01A0006X": "B"}
    seed = "6a" * 32
    result = d.draw(seed, pool, {"A": 2, "B": 1}, excused=["91110000MA01A0004X"])
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"fingerprint: {d.fingerprint(pool)}" in readme
    assert f"drawn: {', '.join(result.drawn)}" in readme
    assert f"replaced: {', '.join(result.replaced) or '-'}" in readme
