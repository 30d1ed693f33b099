"""Identifiers: entry numbers, importer-of-record numbers, protest numbers (REFERENCE.md §7)."""

from __future__ import annotations

import re

from cee_workflow.workflow.errors import InvalidInput

# Letters map to digits A–I = 1–9, J–R = 1–9, S–Z = 2–9 (UNCONFIRMED table; REFERENCE.md §7).
_LETTER_VALUES = {
    **{c: i + 1 for i, c in enumerate("ABCDEFGHI")},
    **{c: i + 1 for i, c in enumerate("JKLMNOPQR")},
    **{c: i + 2 for i, c in enumerate("STUVWXYZ")},
}
_ENTRY = re.compile(r"^([A-Z0-9]{3})-?(\d{7})-?(\d)$")
_IOR_FORMATS = (
    (re.compile(r"^\d{2}-\d{7}[A-Z0-9]{2}$"), "IRS number NN-NNNNNNNXX"),
    (re.compile(r"^\d{3}-\d{2}-\d{4}$"), "SSN NNN-NN-NNNN"),
    (re.compile(r"^\d{6}-\d{5}$"), "CBP-assigned YYDDPP-NNNNN"),
)


def entry_check_digit(first_ten: str) -> int:
    """Double positions 2, 4, 6, 8, 10 (less 9 when over 9); check = (10 − sum % 10) % 10."""
    total = 0
    for position, char in enumerate(first_ten, start=1):
        value = int(char) if char.isdigit() else _LETTER_VALUES[char]
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def parse_entry_number(text: str) -> str:
    """The 11-character entry number (no dashes), or InvalidInput naming the expected digit."""
    cleaned = text.strip().upper()
    match = _ENTRY.match(cleaned)
    if not match:
        raise InvalidInput(
            f"entry number {text!r} is malformed: expected filer code, 7 digits and a check "
            "digit, e.g. 112-7296677-8")
    filer, serial, check = match.groups()
    expected = entry_check_digit(filer + serial)
    if int(check) != expected:
        raise InvalidInput(
            f"entry number {text!r} has check digit {check}, expected {expected}; "
            "check the number on the entry summary")
    return filer + serial + check


def format_entry_number(number: str) -> str:
    return f"{number[:3]}-{number[3:10]}-{number[10]}"


def parse_importer_number(text: str) -> str:
    cleaned = text.strip().upper()
    for pattern, _ in _IOR_FORMATS:
        if pattern.match(cleaned):
            return cleaned
    formats = "; ".join(name for _, name in _IOR_FORMATS)
    raise InvalidInput(f"importer number {text!r} is not a valid format ({formats})")


def protest_number(port: str, year: int, serial: int) -> str:
    """Port (4) + 2-digit year + 6-digit serial, e.g. 270426000123 (REFERENCE.md §2)."""
    if serial > 999_999:
        raise InvalidInput(f"protest serials for port {port} in {year} are exhausted")
    return f"{port}{year % 100:02d}{serial:06d}"
