"""The verifiable random draw (R-DRAW-1, R-DRAW-4, R-DRAW-5, R-MATCH-1): uniform, recorded, reproducible.

Algorithm `ji-sha256-rank`, version 1 — what a witness reimplements from the published record and pool list:

1. Before the draw a 32-byte seed is generated and only its commitment is recorded:
   commitment = hex(SHA-256(ascii(seed_hex))).
2. The pool is the list of candidates, each a line `code<TAB>stratum` (stratum "*" when the draw is not
   stratified), sorted by code (Unicode code point order), joined with "\n" plus a final "\n", UTF-8 encoded.
   fingerprint = hex(SHA-256(pool bytes)).
3. Every candidate's score is SHA-256(seed_bytes || 0x00 || utf8(code)) — 32 bytes, compared as bytes.
   Within each stratum, candidates are ranked by (score, code) ascending.
4. Walking each stratum's ranking from the top, a candidate on the record's `excused` list (an exempt subject,
   R-DRAW-4) is skipped and recorded as replaced; the others are taken until the stratum's count is reached.
The drawn list is the union of the strata's picks, each stratum's in rank order, strata in name order.

Every k-subset of a stratum is equally likely (the scores are a keyed pseudo-random function of the code), and the
result does not depend on the order the pool was stored or read in.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping

ALGORITHM = "ji-sha256-rank"
VERSION = 1
NO_STRATUM = "*"


def new_seed() -> str:
    """32 random bytes from the operating system, as 64 hex characters."""
    return secrets.token_hex(32)


def commitment(seed_hex: str) -> str:
    return hashlib.sha256(seed_hex.encode("ascii")).hexdigest()


def pool_text(candidates: Mapping[str, str]) -> str:
    """The canonical pool list: `code<TAB>stratum` lines sorted by code."""
    return "".join(f"{code}\t{candidates[code]}\n" for code in sorted(candidates))


def fingerprint(candidates: Mapping[str, str]) -> str:
    return fingerprint_of_text(pool_text(candidates))


def fingerprint_of_text(text: str) -> str:
    """The fingerprint of a pool list already in its canonical text form (saves building it twice)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_pool(text: str) -> dict[str, str]:
    """Read a pool list back (the inverse of pool_text); raises ValueError on a malformed line."""
    candidates: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        code, sep, stratum = line.partition("\t")
        if not sep or not code or not stratum:
            raise ValueError(f"line {number}: expected code<TAB>stratum")
        candidates[code] = stratum
    return candidates


def ranking(seed_hex: str, codes: Iterable[str]) -> list[str]:
    """Codes in draw order for this seed: ascending (score, code)."""
    prefix = bytes.fromhex(seed_hex) + b"\x00"
    sha256 = hashlib.sha256
    # score ‖ utf8(code) sorts exactly as (score, code): scores are 32 bytes, and UTF-8 byte order is code point
    # order. Sorting one bytes key is twice as fast as sorting tuples (bench/draw.py).
    keyed = {sha256(prefix + encoded).digest() + encoded: code
             for code in codes for encoded in (code.encode("utf-8"),)}
    return [keyed[key] for key in sorted(keyed)]


def count_for_ratio(pool_size: int, ratio_percent: Decimal) -> int:
    """How many to draw for a ratio: rounded up, so a non-empty pool with a positive ratio yields at least one."""
    if ratio_percent < 0 or ratio_percent > 100:
        raise ValueError("ratio must be between 0 and 100 percent")
    return min(pool_size, math.ceil(Decimal(pool_size) * ratio_percent / 100))


@dataclass(frozen=True)
class DrawResult:
    drawn: list[str]
    replaced: list[str]  # excused candidates skipped in rank order (R-DRAW-4)
    by_stratum: dict[str, list[str]] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)  # stratum → how many could not be drawn


def draw(seed_hex: str, candidates: Mapping[str, str], counts: Mapping[str, int],
         excused: Iterable[str] = ()) -> DrawResult:
    """Draw counts[stratum] candidates from each stratum, skipping excused ones (R-DRAW-1, R-DRAW-4)."""
    excused_set = set(excused)
    strata: dict[str, list[str]] = {}
    for code, stratum in candidates.items():
        strata.setdefault(stratum, []).append(code)
    drawn: list[str] = []
    replaced: list[str] = []
    by_stratum: dict[str, list[str]] = {}
    shortfall: dict[str, int] = {}
    for stratum in sorted(counts):
        wanted = counts[stratum]
        picks: list[str] = []
        if wanted > 0:
            for code in ranking(seed_hex, strata.get(stratum, [])):
                if code in excused_set:
                    replaced.append(code)
                    continue
                picks.append(code)
                if len(picks) == wanted:
                    break
        if len(picks) < wanted:
            shortfall[stratum] = wanted - len(picks)
        by_stratum[stratum] = picks
        drawn.extend(picks)
    return DrawResult(drawn=drawn, replaced=replaced, by_stratum=by_stratum, shortfall=shortfall)


@dataclass(frozen=True)
class Verification:
    commitment_ok: bool
    fingerprint_ok: bool
    drawn_ok: bool

    @property
    def match(self) -> bool:
        return self.commitment_ok and self.fingerprint_ok and self.drawn_ok


def verify(record: Mapping, candidates: Mapping[str, str]) -> Verification:
    """Recompute a draw from its published record and pool list (R-DRAW-5)."""
    if record.get("algorithm") != ALGORITHM or record.get("version") != VERSION:
        return Verification(False, False, False)
    seed = record["seed"]
    result = draw(seed, candidates, record["counts"], record.get("excused", ()))
    return Verification(
        commitment_ok=commitment(seed) == record["commitment"],
        fingerprint_ok=fingerprint(candidates) == record["pool_fingerprint"],
        drawn_ok=result.drawn == list(record["drawn"]) and result.replaced == list(record.get("replaced", [])),
    )


# ---- the pool a draw is made from and what it draws from each stratum (R-DRAW-1..4) -------------------------
YEARLY_CAP = 2  # R-DRAW-2: the same subject at most twice a year (inclusive); high-risk subjects are exempt
HIGH_RISK = "high"


@dataclass(frozen=True)
class Pool:
    candidates: dict[str, str]  # code → stratum
    excused: list[str]  # exempt candidates, skipped if drawn (R-DRAW-4)
    capped: int  # how many matching subjects were left out for the yearly cap (R-DRAW-2)


@dataclass(frozen=True)
class Evaluated:
    pool: Pool
    counts: dict[str, int]
    result: DrawResult
    pool_list: str  # the canonical text a witness recomputes from
    fingerprint: str


def evaluate(pool: Pool, criteria: Mapping, seed: str) -> Evaluated:
    """Everything a draw computes from its pool, before anything is stored (also what bench/draw.py times)."""
    counts = stratum_counts(pool.candidates, criteria)
    result = draw(seed, pool.candidates, counts, pool.excused)
    text = pool_text(pool.candidates)
    return Evaluated(pool, counts, result, text, fingerprint_of_text(text))


def stratum_counts(candidates: Mapping[str, str], criteria: Mapping) -> dict[str, int]:
    """How many to draw from each stratum: a count, one ratio, or a ratio per credit class (R-DRAW-1, R-DRAW-3)."""
    if criteria.get("count") is not None:
        return {NO_STRATUM: int(criteria["count"])}
    sizes: dict[str, int] = {}
    for stratum in candidates.values():
        sizes[stratum] = sizes.get(stratum, 0) + 1
    if criteria.get("ratios_by_credit"):
        return {cls: count_for_ratio(sizes.get(cls, 0), Decimal(str(ratio)))
                for cls, ratio in criteria["ratios_by_credit"].items()}
    return {NO_STRATUM: count_for_ratio(sizes.get(NO_STRATUM, 0), Decimal(str(criteria["ratio"])))}
