"""Check characters of the two codes that key the directories (R-SUBJ-1, R-INSP-1): pure, stdlib only.

- 统一社会信用代码 (USCC), GB 32100-2015: 18 characters from a 31-character set (digits and capitals without
  I, O, S, V, Z); the 18th is a check character: weights 3^i mod 31 (i = 0..16) over the first 17,
  check = 31 - sum mod 31 (31 written as 0).
- 公民身份号码 (resident ID), GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence (odd = male),
  and a check digit 0-9 or X: weights 2^(17-i) mod 11 (i = 0..16), check = (12 - sum mod 11) mod 11, 10 written as X.

The old 15-digit resident ID (GB 11643-1989) and the 9-character organisation code are not accepted as keys.

Subject kinds (R-SUBJ-3) and the code each is keyed by: enterprise and institution (机关、事业单位、社会组织) by a
USCC, individual by a resident ID, product, project and behaviour by the department's own registry number: 1–32
characters of A–Z, 0–9 and '-', beginning and ending with a letter or digit, and not 18 characters without a '-'
(that is the shape of a USCC or resident ID: refusing it keeps the kinds' codes apart, so one code never names
two subjects, and a mistyped USCC filed as a product is caught). 32 is the width subject codes have everywhere.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from operator import mul

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, ...

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
_ID_CHECK = "10X98765432"  # indexed by the weighted sum mod 11
_DIGITS = frozenset("0123456789")

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997 organisation code, used only to generate realistic USCCs


def normalize_code(raw: str) -> str:
    """The code as stored: surrounding blanks removed, letters upper-cased (a resident ID's x is X)."""
    return raw.strip().upper()


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters (KeyError on a character outside the set)."""
    total = sum(map(mul, map(_USCC_VALUE.__getitem__, first17), _USCC_WEIGHTS))
    return USCC_CHARSET[-total % 31]  # (31 - total mod 31) mod 31


def is_valid_uscc(code: str) -> bool:
    """18 characters of the USCC set whose last one is the check character of the other 17 (R-SUBJ-1)."""
    if len(code) != 18:
        return False
    try:
        return uscc_check_char(code[:17]) == code[17]
    except KeyError:  # a character outside the set (I, O, S, V, Z, lower case, …)
        return False


def resident_id_check_char(first17: str) -> str:
    """The GB 11643-1999 check digit (0-9 or X) for the first 17 digits."""
    return _ID_CHECK[sum(map(mul, map(int, first17), _ID_WEIGHTS)) % 11]


def resident_id_birth_date(code: str) -> date | None:
    """The birth date written in characters 7-14, or None when it is not a real calendar date from 1800 on."""
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1800 else None


def is_valid_resident_id(code: str, today: date | None = None) -> bool:
    """17 digits, a real birth date (not after `today` when given) and the right check digit (R-INSP-1)."""
    if len(code) != 18 or not _DIGITS.issuperset(code[:17]) or code[17] not in "0123456789X":
        return False
    if code[6:10] < "1800":  # the year, before 1800: most USCCs made only of digits stop here, cheaply
        return False
    born = resident_id_birth_date(code)
    if born is None or (today is not None and born > today):
        return False
    return resident_id_check_char(code[:17]) == code[17]


def resident_id_gender(code: str) -> str:
    """'male' or 'female' from the sequence digit (the 17th: odd is male)."""
    return "male" if int(code[16]) % 2 else "female"


def is_valid_subject_code(code: str, today: date | None = None) -> bool:
    """A subject is keyed by its USCC, or by the resident ID of an individual (R-SUBJ-1)."""
    return is_valid_uscc(code) or is_valid_resident_id(code, today)


SUBJECT_KINDS = {  # R-SUBJ-3: id → the Chinese name shown to people
    "enterprise": "企业", "individual": "个人", "institution": "机关事业单位",
    "product": "产品", "project": "项目", "behaviour": "行为",
}
USCC_KINDS = frozenset({"enterprise", "institution"})
REGISTRY_KINDS = frozenset({"product", "project", "behaviour"})
REGISTRY_NUMBER_MAX = 32
_REGISTRY_NUMBER = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{0,%d}[A-Z0-9])?" % (REGISTRY_NUMBER_MAX - 2))


def is_registry_number_shape(code: str) -> bool:
    """1–32 characters of A–Z, 0–9 and '-', beginning and ending with a letter or digit."""
    return _REGISTRY_NUMBER.fullmatch(code) is not None


def looks_like_uscc_or_resident_id(code: str) -> bool:
    """18 characters without a '-': the shape of a USCC or a resident ID, valid or mistyped."""
    return len(code) == 18 and "-" not in code


def is_valid_registry_number(code: str) -> bool:
    """A department's own number for a product, project or behaviour (R-SUBJ-3): see the module doc."""
    return is_registry_number_shape(code) and not looks_like_uscc_or_resident_id(code)


def infer_subject_kind(code: str, today: date | None = None) -> str | None:
    """The kind a code alone tells: a valid resident ID is an individual, a valid USCC an enterprise; else None
    (a registry number does not say whether it is a product, a project or a behaviour). A code valid as both is an
    individual's; the USCC is checked first only because most codes are USCCs (imports call this per row)."""
    if is_valid_uscc(code):
        maybe_id = code[6:10] >= "1800" and code[:17].isdigit()  # cheap tests first: most USCCs fail them
        return "individual" if maybe_id and is_valid_resident_id(code, today) else "enterprise"
    return "individual" if is_valid_resident_id(code, today) else None


def code_fits_kind(code: str, kind: str, today: date | None = None) -> bool:
    """Whether `code` is the right kind of code for a subject of `kind` (R-SUBJ-1, R-SUBJ-3)."""
    if kind in USCC_KINDS:
        return is_valid_uscc(code)
    if kind == "individual":
        return is_valid_resident_id(code, today)
    return kind in REGISTRY_KINDS and is_valid_registry_number(code)


# ---- generators of valid codes, for tests and benches ----------------------------------------------
def generate_uscc(n: int, authority: str = "9", kind: str = "1", region: str = "110105") -> str:
    """The n-th of a family of distinct, valid USCCs (0 <= n < 10**8): an enterprise (91) of region 110105 by
    default, whose organisation-code part carries its own GB 11714 check character, as real ones do."""
    if not 0 <= n < 10**8:
        raise ValueError("n must be in [0, 10**8)")
    body = f"{n:08d}"
    org_sum = sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS))
    org_check = {10: "X", 11: "0"}.get(11 - org_sum % 11, str(11 - org_sum % 11))
    first17 = f"{authority}{kind}{region}{body}{org_check}"
    return first17 + uscc_check_char(first17)


def generate_resident_id(n: int, region: str = "110105", first_birth: date = date(1970, 1, 1)) -> str:
    """The n-th of a family of distinct, valid resident IDs (0 <= n < 10**7): a thousand per birth day,
    counting days from `first_birth`; the sequence n % 1000 makes odd n male, even n female."""
    if not 0 <= n < 10**7:
        raise ValueError("n must be in [0, 10**7)")
    born = first_birth + timedelta(days=n // 1000)
    first17 = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)
