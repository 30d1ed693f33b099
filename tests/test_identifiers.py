"""Entry numbers, importer-of-record numbers and protest numbers (REFERENCE.md §7)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cee_workflow.workflow.errors import InvalidInput
from cee_workflow.workflow.identifiers import (
    entry_check_digit,
    format_entry_number,
    parse_entry_number,
    parse_importer_number,
    protest_number,
)


@pytest.mark.parametrize("number", ["112-7296677-8", "112-7298503-4", "112-7324623-8",
                                    "442-1186614-8", "11272966778"])
def test_numbers_verified_by_hand_are_accepted(number):
    parsed = parse_entry_number(number)
    assert len(parsed) == 11 and format_entry_number(parsed).replace("-", "") == parsed


def test_wrong_check_digit_names_the_expected_digit():
    with pytest.raises(InvalidInput, match="check digit 9, expected 8"):
        parse_entry_number("112-7296677-9")


@pytest.mark.parametrize("text", ["112-729667-8", "1127296677", "11-27296677-8", "abc", ""])
def test_malformed_entry_numbers_are_refused(text):
    with pytest.raises(InvalidInput, match="malformed"):
        parse_entry_number(text)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3),
       st.integers(min_value=0, max_value=9_999_999), st.integers(min_value=0, max_value=9))
def test_exactly_one_check_digit_is_accepted(filer, serial, digit):
    body = f"{filer}{serial:07d}"
    accepted = digit == entry_check_digit(body)
    try:
        parse_entry_number(f"{filer}-{serial:07d}-{digit}")
    except InvalidInput:
        assert not accepted
    else:
        assert accepted


def test_letter_filer_codes_use_the_letter_table():
    # A=1: "A12" with the same serial as "112" gives the same digit.
    assert entry_check_digit("A127296677") == entry_check_digit("1127296677")


@pytest.mark.parametrize("number", ["12-3456789AB", "123-45-6789", "250427-00001"])
def test_importer_number_formats(number):
    assert parse_importer_number(number.lower()) == number


@pytest.mark.parametrize("number", ["123456789", "12-345678AB", "1234-56-789", ""])
def test_bad_importer_numbers_are_refused(number):
    with pytest.raises(InvalidInput, match="not a valid format"):
        parse_importer_number(number)


def test_protest_number_is_port_year_serial():
    assert protest_number("2704", 2026, 123) == "270426000123"
    assert protest_number("5501", 2007, 100546) == "550107100546"
    with pytest.raises(InvalidInput, match="exhausted"):
        protest_number("2704", 2026, 1_000_000)
