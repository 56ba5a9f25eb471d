"""Credit feedback (R-OVER-2, R-SUBJ-2): what a published result's outcome changes on its subject in the directory.

The rule, as written in README "Credit feedback":

- `unreachable` → the abnormal-operation flag on (列入经营异常名录);
- `closed` → the deregistered flag on;
- `transferred` → tag `移送立案:<inspected_on>`; `judicial` → tag `移送司法:<inspected_on>`;
  `rectified` → tag `责令整改:<inspected_on>`;
- `transferred`, `judicial`, `refused` → risk level high;
- three consecutive published `pass` results of the subject (ordered by inspection date, then result id, across
  tasks and departments) → risk one step lower (high → medium → low); the sixth, ninth … lower it again;
- `pass` otherwise and `not_operating` change nothing.

Each of these is an *atom* ("abnormal_operation", "deregistered", "tag:移送立案:2026-03-10", "risk:high",
"risk:lower"). A result holds the atoms it actually changed, each as {"before", "after", "by"}: "by" is the result
whose change-log row made the change. A correction replaces the result's effect: the atoms it holds and no longer
wants are undone — unless something else changed the field since (`blocked`: the atom is then left as it is), or
another published result of the subject calls for the same atom (that result then holds it: `handovers`) — and
the atoms it now wants are applied. Publication is the same with nothing held.

Pure functions over plain values (a subject is a dict of FIELDS); the projection reads and writes the tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

FIELDS = ("abnormal_operation", "deregistered", "risk_level", "tags")
FLAG_OUTCOMES = {"unreachable": "abnormal_operation", "closed": "deregistered"}
TAG_OUTCOMES = {"transferred": "移送立案", "judicial": "移送司法", "rectified": "责令整改"}
HIGH_RISK_OUTCOMES = frozenset({"transferred", "judicial", "refused"})
PASS = "pass"
PASSES_TO_LOWER = 3
LOWER = {"high": "medium", "medium": "low"}  # low and unknown ('') stay as they are
HIGH, LOWERED = "risk:high", "risk:lower"

History = tuple[date, str, str]  # a published result: (inspected_on, result_id, outcome)


@dataclass(frozen=True)
class Feedback:
    """A result's effect on its subject: the fields after, the change-log entry, and the atoms each result holds."""

    subject: dict
    changes: dict  # {field: [before, after]}, only fields that changed
    effects: dict  # atom → {"before", "after", "by"}: what this result now holds
    handovers: dict = field(default_factory=dict)  # atom → (result id, effect): now held by that other result


def claims(outcome: str, inspected_on: date | str) -> set[str]:
    """The atoms an outcome calls for by itself (the three-passes rule needs the subject's history: `lowers`)."""
    found = set()
    if outcome in FLAG_OUTCOMES:
        found.add(FLAG_OUTCOMES[outcome])
    if outcome in TAG_OUTCOMES:
        found.add(f"tag:{TAG_OUTCOMES[outcome]}:{_iso(inspected_on)}")
    if outcome in HIGH_RISK_OUTCOMES:
        found.add(HIGH)
    return found


def pass_streak(history: Iterable[History]) -> int:
    """How many published passes come last in inspection order, after the subject's newest other outcome."""
    streak = 0
    for _, _, outcome in sorted(history, key=_order, reverse=True):
        if outcome != PASS:
            break
        streak += 1
    return streak


def lowers(others: list[History], mine: History) -> bool:
    """Whether this pass completes three (six, nine …) consecutive published passes of the subject."""
    if mine[2] != PASS:
        return False
    return pass_streak(others + [mine]) // PASSES_TO_LOWER > pass_streak(others) // PASSES_TO_LOWER


def wanted(outcome: str, inspected_on: date | str, lowered: bool) -> set[str]:
    """Every atom the result calls for: its outcome's, and the risk step down when it completes three passes."""
    return claims(outcome, inspected_on) | ({LOWERED} if lowered else set())


def claimants(atoms: Iterable[str], others: Iterable[tuple[str, str, date | str]]) -> dict[str, str]:
    """For each atom, another published result (id, outcome, inspected_on) of the subject that calls for it."""
    wanted_atoms, found = set(atoms), {}
    for rid, outcome, day in sorted(others, key=lambda other: other[0]):
        for atom in sorted(claims(outcome, day) & wanted_atoms):
            found.setdefault(atom, rid)
    return found


def feedback(subject: dict, held: dict, want: set[str], *, by: str, blocked: frozenset[str] = frozenset(),
             claimed: dict[str, str] | None = None) -> Feedback:
    """Replace the atoms `held` by the result `by` with those it `want`s: undo, hand over, keep, apply."""
    claimed = claimed or {}
    current, effects, handovers = dict(subject), {}, {}
    for atom, effect in sorted(held.items()):
        if atom in want:
            effects[atom] = effect
        elif atom in blocked:  # changed since by someone else: theirs now, neither undone nor handed over
            continue
        elif atom in claimed:
            handovers[atom] = (claimed[atom], effect)
        else:
            current = revert(current, atom, effect)
    for atom in sorted(want - held.keys()):
        current, effect = apply(current, atom)
        if effect is not None:
            effects[atom] = effect | {"by": by}
    return Feedback(current, changes(subject, current), effects, handovers)


def apply(subject: dict, atom: str) -> tuple[dict, dict | None]:
    """The subject with the atom in force, and {"before", "after"} when that changed anything."""
    before, after = value(subject, atom), target(subject, atom)
    if before == after:
        return subject, None
    return put(subject, atom, after), {"before": before, "after": after}


def revert(subject: dict, atom: str, effect: dict) -> dict:
    """The subject with the atom's value as before the result set it, while it still holds what the result set."""
    if value(subject, atom) != effect["after"]:
        return subject
    return put(subject, atom, effect["before"])


def value(subject: dict, atom: str) -> Any:
    """The atom's value on the subject: a tag's presence, the risk level, or a flag."""
    if atom.startswith("tag:"):
        return atom[4:] in split(subject["tags"])
    if atom.startswith("risk:"):
        return subject["risk_level"]
    return bool(subject[atom])


def target(subject: dict, atom: str) -> Any:
    """The atom's value once in force."""
    if atom == HIGH:
        return "high"
    if atom == LOWERED:
        return LOWER.get(subject["risk_level"], subject["risk_level"])
    return True


def put(subject: dict, atom: str, new: Any) -> dict:
    """The subject with the atom's value set to `new`."""
    name = field_of(atom)
    if name == "tags":
        tag, tags = atom[4:], [t for t in split(subject["tags"]) if t != atom[4:]]
        return subject | {"tags": ",".join(tags + [tag] if new else tags)}
    return subject | {name: new}


def field_of(atom: str) -> str:
    """The subjects column an atom lives in."""
    if atom.startswith("tag:"):
        return "tags"
    return "risk_level" if atom.startswith("risk:") else atom


def changes(before: dict, after: dict) -> dict:
    """{field: [before, after]} of the fields that differ (the change log's shape)."""
    return {name: [before[name], after[name]] for name in FIELDS if before[name] != after[name]}


def touches(entry: dict, atom: str) -> bool:
    """Whether a change-log entry {field: [before, after]} changed the atom (a tag: added or removed it)."""
    pair = entry.get(field_of(atom))
    if not isinstance(pair, list) or len(pair) != 2:
        return False
    if atom.startswith("tag:"):
        return (atom[4:] in split(pair[0] or "")) != (atom[4:] in split(pair[1] or ""))
    return True


def last_setter(log: Iterable[tuple[str, dict]], atom: str) -> str | None:
    """The result whose credit feedback last changed the atom, from the subject's (action, changes) entries oldest
    first; "" when a person or an import changed it last, None when nothing did."""
    setter = None
    for action, entry in log:
        if touches(entry, atom):
            setter = str(entry.get("result_id") or "") if action == "credit_feedback" else ""
    return setter


def split(tags: str) -> list[str]:
    return [t for t in tags.split(",") if t]


def _iso(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else str(day)


def _order(item: History) -> tuple[str, str]:
    return _iso(item[0]), item[1]
