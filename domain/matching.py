"""Random matching of inspectors to drawn subjects (R-MATCH-1..3), as verifiable as the subject draw.

Algorithm `ji-sha256-match`, version 1:
1. Seed, commitment and scores exactly as in domain.draw (score = SHA-256(seed ‖ 0x00 ‖ utf8(id))).
2. The department's eligible inspectors (active, certified on the inspection day) are ranked by (score, id).
3. Subjects are taken in code order. Each inspector may serve at most ceil(subjects × team size / inspectors)
   subjects, so the load is spread evenly. For each subject, walking the ranking cyclically from where the
   previous subject stopped, an inspector joins its team unless already in it, at the load limit, or declared in
   conflict with that subject (R-MATCH-3: recusal); the first to join is the team leader (组长).
4. A replacement (R-MATCH-2) takes the first inspector in the ranking under the seed
   SHA-256(ascii(seed) ‖ ascii(":replacement:") ‖ ascii(n)) (n = 1, 2, … per replacement) who is eligible, not
   in the team, not the one replaced and not in conflict: fixed by the revealed seed, so nobody can choose it.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Iterable

from domain.draw import ranking

ALGORITHM = "ji-sha256-match"
VERSION = 1
MIN_TEAM = 2  # R-MATCH-1: at least two inspectors per subject


class Shortfall(Exception):
    """Too few inspectors for the teams asked for (R-MATCH-4: approve a direct or cross-unit assignment)."""

    def __init__(self, subject: str, needed: int, available: int) -> None:
        super().__init__(subject, needed, available)
        self.subject, self.needed, self.available = subject, needed, available


@dataclass(frozen=True)
class Matching:
    teams: dict[str, list[str]]  # subject code → inspector ids, the first is the leader
    load_limit: int


def match(seed_hex: str, inspectors: Iterable[str], subjects: Iterable[str], team_size: int,
          conflicts: Iterable[tuple[str, str]] = ()) -> Matching:
    """Teams of `team_size` for every subject; raises Shortfall when the department cannot staff them."""
    if team_size < MIN_TEAM:
        raise ValueError(f"a team has at least {MIN_TEAM} inspectors")
    ranked = ranking(seed_hex, set(inspectors))
    ordered_subjects = sorted(set(subjects))
    blocked = set(conflicts)
    if not ordered_subjects:
        return Matching(teams={}, load_limit=0)
    if len(ranked) < team_size:
        raise Shortfall(ordered_subjects[0], team_size, len(ranked))
    limit = math.ceil(len(ordered_subjects) * team_size / len(ranked))
    load = dict.fromkeys(ranked, 0)
    teams: dict[str, list[str]] = {}
    cursor = 0
    for subject in ordered_subjects:
        team: list[str] = []
        for step in range(len(ranked)):
            candidate = ranked[(cursor + step) % len(ranked)]
            if candidate in team or load[candidate] >= limit or (candidate, subject) in blocked:
                continue
            team.append(candidate)
            load[candidate] += 1
            if len(team) == team_size:
                cursor = (cursor + step + 1) % len(ranked)
                break
        if len(team) < team_size:
            raise Shortfall(subject, team_size, len(team))
        teams[subject] = team
    return Matching(teams=teams, load_limit=limit)


def replacement(seed_hex: str, n: int, inspectors: Iterable[str], team: list[str], replaced: str,
                subject: str, conflicts: Iterable[tuple[str, str]] = ()) -> str:
    """The n-th replacement's inspector, fixed by the revealed seed (R-MATCH-2)."""
    derived = hashlib.sha256(f"{seed_hex}:replacement:{n}".encode("ascii")).hexdigest()
    blocked = set(conflicts)
    for candidate in ranking(derived, set(inspectors)):
        if candidate != replaced and candidate not in team and (candidate, subject) not in blocked:
            return candidate
    raise Shortfall(subject, 1, 0)
