"""CodeSpec validation and its repr."""

from __future__ import annotations

import dataclasses

import pytest

from protocols.codes import CodeSpec
from protocols.errors import CodeError


@pytest.mark.parametrize(
    "args, named, allowed",
    [
        (("toric", 3, 3, "Z"), "'toric'", "rotated_surface"),
        (("rotated_surface", 4, 3, "Z"), "4", "odd integer >= 3"),
        (("rotated_surface", 1, 3, "Z"), "1", "odd integer >= 3"),
        (("xzzx", 6, 3, "X"), "6", "odd integer >= 3"),
        (("repetition", 1, 3, "Z"), "1", "integer >= 2"),
        (("repetition", 3, 0, "Z"), "0", "integer >= 1"),
        (("rotated_surface", 3, 3, "Y"), "'Y'", "'X' or 'Z'"),
        (("rotated_surface", 3.0, 3, "Z"), "3.0", "not an integer"),
        (("repetition", True, 3, "Z"), "True", "not an integer"),
    ],
)
def test_bad_spec_names_value_and_range(args: tuple, named: str, allowed: str) -> None:
    with pytest.raises(CodeError) as info:
        CodeSpec(*args)
    assert named in str(info.value) and allowed in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "spec",
    [CodeSpec("rotated_surface", 5, 10, "X"), CodeSpec("repetition", 2, 1, "Z"), CodeSpec("xzzx", 3, 1, "Z")],
)
def test_repr_round_trip_and_frozen(spec: CodeSpec) -> None:
    assert eval(repr(spec), {"CodeSpec": CodeSpec}) == spec
    assert hash(eval(repr(spec), {"CodeSpec": CodeSpec})) == hash(spec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.distance = 7  # type: ignore[misc]


def test_default_basis_is_z() -> None:
    assert CodeSpec("rotated_surface", 3, 3).basis == "Z"
