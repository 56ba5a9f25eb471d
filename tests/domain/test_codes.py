"""Check characters of the USCC (GB 32100-2015, R-SUBJ-1) and the resident ID (GB 11643-1999, R-INSP-1).

The worked sums below were done by hand and agree with the code:
- 11010519491231002X (the example printed in GB 11643-1999): sum of digit × weight (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8
  4 2) = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "X".
- 91350100M000100Y43 (a commonly published USCC example): values × weights (1 3 9 27 19 26 16 17 20 29 25 13 8 24
  10 30 28) = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640; 1640 mod 31 = 28; 31 - 28 = 3 → "3".
"""
from datetime import date

import pytest

from domain.codes import (
    SUBJECT_KINDS, USCC_CHARSET, code_fits_kind, generate_resident_id, generate_uscc, infer_subject_kind,
    is_valid_registry_number, is_valid_resident_id, is_valid_subject_code, is_valid_uscc, normalize_code,
    resident_id_check_char, resident_id_gender, uscc_check_char,
)

USCC_EXAMPLE = "91350100M000100Y43"
ID_EXAMPLE = "11010519491231002X"
ID_EXAMPLE_1880 = "440524188001010014"  # the standard's second example: born 1880-01-01, check digit 4


def test_uscc_example_with_a_letter_check_character_is_valid():  # R-SUBJ-1
    assert is_valid_uscc(USCC_EXAMPLE)


def test_uscc_check_character_follows_the_weights_3_pow_i_mod_31():  # R-SUBJ-1
    assert uscc_check_char(USCC_EXAMPLE[:17]) == "3"


def test_uscc_with_any_other_check_character_is_invalid():  # R-SUBJ-1
    for ch in USCC_CHARSET:
        if ch != "3":
            assert not is_valid_uscc(USCC_EXAMPLE[:17] + ch)


def test_uscc_with_two_characters_swapped_is_invalid():  # R-SUBJ-1
    swapped = USCC_EXAMPLE[:2] + USCC_EXAMPLE[3] + USCC_EXAMPLE[2] + USCC_EXAMPLE[4:]
    assert not is_valid_uscc(swapped)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_with_a_letter_outside_the_charset_is_invalid(letter):  # R-SUBJ-1
    body = USCC_EXAMPLE[:8] + letter + USCC_EXAMPLE[9:17]
    assert not is_valid_uscc(body + "0") and not any(is_valid_uscc(body + ch) for ch in USCC_CHARSET)


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y431", "91350100m000100y43"])
def test_uscc_of_the_wrong_length_or_lower_case_is_invalid(code):  # R-SUBJ-1
    assert not is_valid_uscc(code)


def test_resident_id_examples_of_the_standard_are_valid():  # R-INSP-1
    assert is_valid_resident_id(ID_EXAMPLE)
    assert is_valid_resident_id(ID_EXAMPLE_1880)
    assert resident_id_check_char(ID_EXAMPLE[:17]) == "X"


def test_resident_id_with_a_wrong_check_digit_is_invalid():  # R-INSP-1
    assert not is_valid_resident_id(ID_EXAMPLE[:17] + "0")
    assert not is_valid_resident_id(ID_EXAMPLE_1880[:17] + "5")


def test_resident_id_with_lower_case_x_is_valid_once_normalized():  # R-INSP-1
    assert not is_valid_resident_id(ID_EXAMPLE.lower())
    assert is_valid_resident_id(normalize_code(" " + ID_EXAMPLE.lower() + " "))


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490001", "17991231"])
def test_resident_id_with_an_impossible_birth_date_is_invalid_even_with_the_right_check_digit(birth):  # R-INSP-1
    first17 = "110105" + birth + "002"
    assert not is_valid_resident_id(first17 + resident_id_check_char(first17))


def test_resident_id_born_after_today_is_invalid_when_today_is_given():  # R-INSP-1
    first17 = "110105" + "20300101" + "002"
    code = first17 + resident_id_check_char(first17)
    assert is_valid_resident_id(code)
    assert not is_valid_resident_id(code, today=date(2026, 3, 2))


def test_resident_id_with_a_letter_among_the_first_17_is_invalid():  # R-INSP-1
    assert not is_valid_resident_id("1101051949123100AX")


def test_gender_comes_from_the_parity_of_the_sequence_digit():  # R-INSP-1
    assert resident_id_gender(ID_EXAMPLE) == "female"  # ...002X: 2 is even
    assert resident_id_gender(ID_EXAMPLE_1880) == "male"  # ...001 4: 1 is odd


def test_a_subject_is_keyed_by_a_uscc_or_an_individuals_resident_id():  # R-SUBJ-1
    assert is_valid_subject_code(USCC_EXAMPLE) and is_valid_subject_code(ID_EXAMPLE)
    assert not is_valid_subject_code("91350100M000100Y44")


def test_generated_usccs_are_valid_and_distinct():  # R-SUBJ-1
    codes = [generate_uscc(n) for n in range(0, 20_000, 7)]
    assert all(is_valid_uscc(c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert generate_uscc(5, authority="5", kind="2", region="330106").startswith("52330106")


def test_generated_resident_ids_are_valid_and_distinct_with_the_intended_gender():  # R-INSP-1
    ids = [generate_resident_id(n) for n in range(0, 5_000, 3)]
    assert all(is_valid_resident_id(c, today=date(2026, 3, 2)) for c in ids)
    assert len(set(ids)) == len(ids)
    assert resident_id_gender(generate_resident_id(7)) == "male"
    assert resident_id_gender(generate_resident_id(8)) == "female"


def test_generators_refuse_numbers_outside_their_family():
    with pytest.raises(ValueError):
        generate_uscc(10**8)
    with pytest.raises(ValueError):
        generate_resident_id(-1)


# ---- subject kinds and registry numbers (R-SUBJ-3) -------------------------------------------------------
BOTH = "110105197001010054"  # a valid resident ID that happens to be a valid USCC as well
INSTITUTION = generate_uscc(5, authority="1", kind="2", region="330000")  # 机构编制 authority, 事业单位


@pytest.mark.parametrize("code", ["SC-001", "P1", "2024-330106-47-01-000123", "A" * 32, "9" * 17, "X"])
def test_a_registry_number_is_1_to_32_letters_digits_and_dashes(code):  # R-SUBJ-3
    assert is_valid_registry_number(code)


@pytest.mark.parametrize("code", ["", "A" * 33, "-SC001", "SC001-", "sc-001", "SC 001", "SC_001", "国械注准2015"])
def test_a_registry_number_outside_the_rule_is_invalid(code):  # R-SUBJ-3
    assert not is_valid_registry_number(code)


@pytest.mark.parametrize("code", [USCC_EXAMPLE, ID_EXAMPLE, "91350100M000100Y44", "A" * 18, "1" * 18])
def test_a_registry_number_may_not_have_the_shape_of_a_uscc_or_resident_id(code):  # R-SUBJ-3
    # 18 characters without a dash, valid or mistyped: kinds' codes never collide
    assert not is_valid_registry_number(code)
    assert is_valid_registry_number(code[:9] + "-" + code[9:])


def test_the_kind_is_inferred_from_a_valid_resident_id_or_uscc_only():  # R-SUBJ-3
    assert infer_subject_kind(ID_EXAMPLE) == "individual"
    assert infer_subject_kind(USCC_EXAMPLE) == "enterprise"
    assert infer_subject_kind(BOTH) == "individual" and is_valid_uscc(BOTH)  # a resident ID comes first
    assert infer_subject_kind("SC-001") is None and infer_subject_kind("91350100M000100Y44") is None
    born_later = "110105203001010024"
    assert infer_subject_kind(born_later[:17] + resident_id_check_char(born_later[:17]), date(2026, 3, 2)) is None


@pytest.mark.parametrize("kind, code, fits", [
    ("enterprise", USCC_EXAMPLE, True), ("institution", INSTITUTION, True),
    ("institution", "91350100M000100Y44", False), ("enterprise", ID_EXAMPLE, False),
    ("individual", ID_EXAMPLE, True), ("individual", USCC_EXAMPLE, False), ("product", "SC-001", True),
    ("project", "2024-330106-47-01-000123", True), ("behaviour", "HD2026001", True), ("product", USCC_EXAMPLE, False),
    ("behaviour", "91350100M000100Y44", False), ("spaceship", "SC-001", False),
])
def test_a_code_fits_its_kind(kind, code, fits):  # R-SUBJ-1, R-SUBJ-3
    assert code_fits_kind(code, kind) is fits


def test_every_kind_has_a_chinese_name():  # R-SUBJ-3
    assert SUBJECT_KINDS == {"enterprise": "企业", "individual": "个人", "institution": "机关事业单位",
                             "product": "产品", "project": "项目", "behaviour": "行为"}
