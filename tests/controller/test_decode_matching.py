"""MatchingDecoder: bit-for-bit PyMatching on erasure-free samples, heralds ignored, input contract."""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
from test_decode_heralds import depolarizing_circuit, with_data_heralds

from controller.decode import MatchingDecoder
from controller.decode.heralds import circuit_dem, split_heralded_dem
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import DecodeError
from protocols.noise.circuit_depolarizing import CircuitDepolarizingNoise


@pytest.mark.parametrize(("d", "p"), [(3, 5e-3), (5, 5e-3)])
def test_equals_bare_pymatching_bit_for_bit(d: int, p: float) -> None:
    circuit = depolarizing_circuit(d, d, p)
    dem = circuit_dem(circuit)
    packed, _ = circuit.compile_detector_sampler(seed=11).sample(4000, separate_observables=True, bit_packed=True)
    bare = pymatching.Matching.from_detector_error_model(dem)
    ours = MatchingDecoder(dem)
    expected = bare.decode_batch(packed, bit_packed_shots=True, bit_packed_predictions=True)
    assert np.array_equal(ours.decode_batch(packed, bit_packed=True), expected)
    unpacked = np.unpackbits(packed, axis=1, count=dem.num_detectors, bitorder="little")
    expected_unpacked = np.unpackbits(expected, axis=1, count=dem.num_observables, bitorder="little")
    assert np.array_equal(ours.decode_batch(unpacked), expected_unpacked)
    assert np.array_equal(ours.decode_batch(unpacked.astype(np.bool_)), expected_unpacked)
    # The samples are not trivial: some shots predict a flip.
    assert expected_unpacked.any()


@pytest.mark.parametrize("family", ["rotated_surface", "xzzx", "repetition"])
def test_project_circuits_equal_bare_pymatching(family: str) -> None:
    circuit = build_memory_circuit(CodeSpec(family, 5, 5, "Z"), CircuitDepolarizingNoise(p=5e-3).hooks())
    dem = circuit_dem(circuit)
    packed, _ = circuit.compile_detector_sampler(seed=12).sample(2000, separate_observables=True, bit_packed=True)
    bare = pymatching.Matching.from_detector_error_model(dem)
    expected = bare.decode_batch(packed, bit_packed_shots=True, bit_packed_predictions=True)
    assert np.array_equal(MatchingDecoder(dem).decode_batch(packed, bit_packed=True), expected)


def test_heralded_circuit_ignores_heralds() -> None:
    circuit = with_data_heralds(depolarizing_circuit(3, 3, 1e-3), 0.05)
    dem = circuit_dem(circuit)
    dec = MatchingDecoder(dem)
    assert dec.num_heralds == 9 * 3
    dets, _ = circuit.compile_detector_sampler(seed=5).sample(3000, separate_observables=True)
    model = split_heralded_dem(dem)
    twin = pymatching.Matching.from_detector_error_model(model.twin)
    pred = dec.decode_batch(dets)
    assert np.array_equal(pred, twin.decode_batch(dets[:, model.kept_detectors]))
    silenced = dets.copy()
    silenced[:, model.herald_detectors] = 0
    assert np.array_equal(dec.decode_batch(silenced), pred)
    packed = np.packbits(dets, axis=1, bitorder="little")
    assert np.array_equal(
        dec.decode_batch(packed, bit_packed=True), np.packbits(pred, axis=1, bitorder="little")
    )


def test_from_circuit_equals_from_dem() -> None:
    circuit = depolarizing_circuit(3, 2, 5e-3)
    dets, _ = circuit.compile_detector_sampler(seed=2).sample(500, separate_observables=True)
    a = MatchingDecoder.from_circuit(circuit).decode_batch(dets)
    b = MatchingDecoder(circuit_dem(circuit)).decode_batch(dets)
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("dets", "bit_packed", "expected"),
    [
        (np.zeros((4, 23), dtype=np.uint8), False, r"shape \(shots, 24\).*got dtype uint8 and shape \(4, 23\)"),
        (np.zeros((4, 24), dtype=np.float64), False, r"uint8 or bool.*got dtype float64"),
        (np.zeros(24, dtype=np.uint8), False, r"shape \(shots, 24\).*got dtype uint8 and shape \(24,\)"),
        (np.zeros((4, 24), dtype=np.uint8), True, r"bit-packed uint8 array of shape \(shots, 3\).*shape \(4, 24\)"),
        (np.zeros((4, 3), dtype=np.bool_), True, r"bit-packed uint8.*got dtype bool"),
        ([[0] * 24], False, r"numpy array, got list"),
    ],
)
def test_wrong_shapes_and_dtypes_raise(dets: object, bit_packed: bool, expected: str) -> None:
    dec = MatchingDecoder(circuit_dem(depolarizing_circuit(3, 3, 1e-3)))
    assert dec.num_detectors == 24
    with pytest.raises(DecodeError, match=expected):
        dec.decode_batch(dets, bit_packed=bit_packed)


def test_non_contiguous_input_is_accepted() -> None:
    circuit = depolarizing_circuit(3, 3, 5e-3)
    dets, _ = circuit.compile_detector_sampler(seed=3).sample(400, separate_observables=True)
    dec = MatchingDecoder(circuit_dem(circuit))
    wide = np.zeros((400, 2 * dets.shape[1]), dtype=np.uint8)
    wide[:, ::2] = dets
    assert np.array_equal(dec.decode_batch(wide[:, ::2]), dec.decode_batch(dets))
