"""Random matching of inspectors: teams of two or more with a leader, even load, recusal (R-MATCH-1..4)."""
import math
import random
from collections import Counter

import pytest
from scipy.stats import chisquare  # type: ignore[import-untyped]

from domain import matching as m

SEED = "ab" * 32
INSPECTORS = [f"11010119800101{i:03d}X" for i in range(7)]
SUBJECTS = [f"91110000MA01A{i:04d}X" for i in range(10)]


def test_every_subject_gets_a_team_of_at_least_two_with_the_first_as_leader():  # R-MATCH-1
    result = m.match(SEED, INSPECTORS, SUBJECTS, team_size=2)
    assert set(result.teams) == set(SUBJECTS)
    assert all(len(team) == 2 and len(set(team)) == 2 for team in result.teams.values())


def test_a_team_of_one_is_refused():  # R-MATCH-1
    with pytest.raises(ValueError):
        m.match(SEED, INSPECTORS, SUBJECTS, team_size=1)


def test_nobody_serves_more_than_the_even_share():  # R-MATCH-1
    result = m.match(SEED, INSPECTORS, SUBJECTS, team_size=3)
    load = Counter(i for team in result.teams.values() for i in team)
    assert result.load_limit == math.ceil(10 * 3 / 7) and max(load.values()) <= result.load_limit


def test_a_declared_conflict_of_interest_is_never_matched():  # R-MATCH-3
    conflicts = {(inspector, SUBJECTS[0]) for inspector in INSPECTORS[:4]}
    result = m.match(SEED, INSPECTORS, SUBJECTS, team_size=2, conflicts=conflicts)
    assert not set(result.teams[SUBJECTS[0]]) & set(INSPECTORS[:4])


def test_too_few_inspectors_names_the_shortfall():  # R-MATCH-4
    with pytest.raises(m.Shortfall) as short:
        m.match(SEED, INSPECTORS[:1], SUBJECTS, team_size=2)
    assert (short.value.needed, short.value.available) == (2, 1)


def test_the_same_seed_and_inputs_in_any_order_give_the_same_teams():  # R-MATCH-1 R-DRAW-5
    shuffled = list(INSPECTORS)
    random.Random(3).shuffle(shuffled)
    assert m.match(SEED, shuffled, reversed(SUBJECTS), 2).teams == m.match(SEED, INSPECTORS, SUBJECTS, 2).teams


def test_leaders_are_spread_uniformly_over_seeds():  # R-MATCH-1
    rng = random.Random(11)
    leaders = Counter(m.match(f"{rng.getrandbits(256):064x}", INSPECTORS, SUBJECTS[:1], 2).teams[SUBJECTS[0]][0]
                      for _ in range(1400))
    _, p_value = chisquare([leaders[i] for i in INSPECTORS])
    assert p_value > 0.001


def test_a_replacement_is_fixed_by_the_seed_and_never_the_replaced_or_a_team_member():  # R-MATCH-2
    team = m.match(SEED, INSPECTORS, SUBJECTS, 2).teams[SUBJECTS[0]]
    first = m.replacement(SEED, 1, INSPECTORS, team, team[1], SUBJECTS[0])
    assert first == m.replacement(SEED, 1, list(reversed(INSPECTORS)), team, team[1], SUBJECTS[0])
    assert first not in team
