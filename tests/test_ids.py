"""Identifiers (`ids.py`): swarm's base-36 object IDs."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from miniswarm import ids


@given(st.integers(0, 1 << 140), st.integers(0, 40))
def test_base36_reads_back_as_the_number_without_leading_zeros_but_the_width(n, width):
    text = ids.base36(n, width)
    assert int(text, 36) == n and set(text) <= set(ids.B36)
    digits = text.lstrip("0") or "0"
    assert text == digits.rjust(width, "0")


def test_a_swarm_id_is_25_characters_of_base_36_from_the_seed():
    a, b = ids.new_id(random.Random(1)), ids.new_id(random.Random(1))
    assert a == b and len(a) == 25 and set(a) <= set(ids.B36)
