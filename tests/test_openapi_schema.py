"""The OpenAPI schema says what the server enforces (QuickCare/openapi.py). Where the schema writes a rule as a
pattern, these tests hold the pattern and the server's own check to the same answer, over generated inputs: a
pattern that admits what the server refuses (or the reverse) fails here before schemathesis finds it."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from QuickCare.openapi import _decimal_string_pattern, _integer_string_pattern, _trimmed_text, integer_range
from QuickCare.serializers import DecimalField
from users.validators import CONTACT_PATTERN, normalize_contact

CHECKED = settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)


def accepted(field, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


def contact_accepted(value) -> bool:
    try:
        normalize_contact(value)
    except DjangoValidationError:
        return False
    return True


@pytest.mark.parametrize(("low", "high"), [(0, 6), (1, 300), (0, 130), (5, 240), (10, 99), (7, 7), (123, 45678)])
def test_integer_range_matches_exactly_the_numbers_in_range(low, high):
    pattern = re.compile(f"^{integer_range(low, high)}$")
    assert [n for n in range(0, 50_000) if pattern.match(str(n))] == list(range(low, high + 1))


@CHECKED
@given(st.one_of(st.from_regex(CONTACT_PATTERN), st.text(alphabet=" \t\n()-+0123456789", max_size=16)))
def test_the_contact_pattern_admits_exactly_what_normalize_contact_accepts(value):
    assert bool(re.search(CONTACT_PATTERN, value)) == contact_accepted(value)


FEE = DecimalField(max_digits=10, decimal_places=2, min_value=0, max_value=1_000_000)
WEIGHT = DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.1"), max_value=500)


@pytest.mark.parametrize("field", [FEE, WEIGHT], ids=["fee", "weight"])
def test_the_decimal_patterns_admit_exactly_what_the_field_accepts(field):
    pattern = _decimal_string_pattern(field)

    @CHECKED
    @given(st.one_of(st.from_regex(pattern), st.text(alphabet="0123456789.\n-+ e_", max_size=12)))
    def agree(value):
        assert bool(re.search(pattern, value)) == accepted(field, value)

    agree()


@pytest.mark.parametrize(
    ("value", "ok"),
    [("499.50", True), (499.5, True), (1.1500000000000001, True), (500, True), ("1e3", False), (" 5", False)]
    + [("NaN", False), ("Infinity", False), ("5.555", False), ("1_000", False), (-1e-200, False), (True, False)],
)
def test_decimal_input_spellings(value, ok):
    assert accepted(FEE, value) is ok


def test_integer_strings_the_pattern_admits_are_accepted():
    field = serializers.IntegerField(min_value=1, max_value=300)
    pattern = _integer_string_pattern(field)

    @CHECKED
    @given(st.one_of(st.from_regex(pattern), st.text(alphabet="0123456789. \t", max_size=6)))
    def agree(value):
        if re.search(pattern, value):
            assert accepted(field, value)

    agree()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_length": 5},
        {"max_length": 5, "allow_blank": True},
        {},
        {"allow_blank": True},
        {"max_length": 1},
        {"min_length": 3, "max_length": 6},
        {"min_length": 3},
    ],
)
def test_trimmed_text_patterns_judge_the_stripped_value_as_drf_does(kwargs):
    field = serializers.CharField(**kwargs)
    schema = {"type": "string"}
    schema.update({"maxLength": kwargs["max_length"]} if "max_length" in kwargs else {})
    schema.update({"minLength": kwargs["min_length"]} if "min_length" in kwargs else {})
    _trimmed_text(field, schema)

    @CHECKED
    @given(st.text(alphabet=" \t\n\u2003ab", max_size=10))
    def agree(value):
        assert bool(re.search(schema["pattern"], value)) == accepted(field, value)

    agree()
