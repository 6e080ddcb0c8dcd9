"""The decoders of the qecsim backend by name: qecsim's MWPM variants and MPS, and PyMatching on qecsim codes.

Every decoder maps errors in the decoding frame (binary symplectic, uint8 shape (shots, 2n), X part first) to
a bool logical-failure flag per shot. qecsim's own decoders run shot by shot (that is their API); PyMatching
decodes the X and Z parts of a CSS code separately, in batches, with per-site priors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field

from protocols.config import StrictModel
from protocols.errors import ConfigError
from studies.qecsim_backend.codes import QecsimCode
from studies.qecsim_backend.error_models import ErrorModelSpec
from studies.qecsim_backend.errors import qecsim_errors

DecoderName = Literal["mwpm", "cmwpm", "smwpm", "mps", "pymatching"]

#: Which code families each decoder accepts.
DECODER_CODES: dict[str, tuple[str, ...]] = {
    "mwpm": ("planar", "toric"),
    "cmwpm": ("planar",),
    "smwpm": ("rotated_planar",),
    "mps": ("rotated_planar", "planar", "color666", "xzzx"),
    "pymatching": ("rotated_planar", "planar", "toric", "xzzx"),
}


class DecoderSpec(StrictModel):
    """A decoder by name; `chi` is the MPS bond dimension (null: exact contraction, exponential cost)."""

    name: DecoderName
    chi: int | None = Field(default=None, ge=1, le=256)

    def label(self) -> str:
        """Short name for metadata, e.g. 'mps(chi=8)'."""
        return f"{self.name}(chi={self.chi})" if self.name == "mps" else self.name


def _qecsim_decoder(spec: DecoderSpec, family: str):  # noqa: ANN202 - a qecsim.model.Decoder
    """Build qecsim's decoder object of `spec` for `family`."""
    from qecsim.models.color import Color666MPSDecoder
    from qecsim.models.planar import PlanarCMWPMDecoder, PlanarMPSDecoder, PlanarMWPMDecoder
    from qecsim.models.rotatedplanar import RotatedPlanarMPSDecoder, RotatedPlanarSMWPMDecoder
    from qecsim.models.toric import ToricMWPMDecoder

    from studies.qecsim_backend.xzzx_mps import XZZXMPSDecoder

    if spec.name == "mwpm":
        return PlanarMWPMDecoder() if family == "planar" else ToricMWPMDecoder()
    if spec.name == "cmwpm":
        return PlanarCMWPMDecoder()
    if spec.name == "smwpm":
        return RotatedPlanarSMWPMDecoder()
    cls = {"rotated_planar": RotatedPlanarMPSDecoder, "planar": PlanarMPSDecoder, "color666": Color666MPSDecoder,
           "xzzx": XZZXMPSDecoder}[family]
    return cls(chi=spec.chi)


@dataclass(frozen=True)
class LogicalFailures:
    """A decoder bound to one code, error model and p: call it on errors to get failure flags."""

    spec: DecoderSpec
    qcode: QecsimCode
    model: ErrorModelSpec
    p: float
    _decode: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    def __call__(self, errors: np.ndarray) -> np.ndarray:
        """Logical failure per shot: bool (shots,), for errors uint8 (shots, 2n) in the decoding frame."""
        return self._decode(np.asarray(errors, dtype=np.uint8))


def build_decoder(spec: DecoderSpec, qcode: QecsimCode, model: ErrorModelSpec, p: float) -> LogicalFailures:
    """Configure `spec` once for this code, error model and p."""
    allowed = DECODER_CODES[spec.name]
    if qcode.family not in allowed:
        raise ConfigError(f"qecsim backend: decoder {spec.name!r} does not decode the {qcode.family} code; "
                          f"it decodes {list(allowed)}")
    if spec.name == "pymatching":
        return LogicalFailures(spec, qcode, model, p, _pymatching_failures(qcode, model, p))
    with qecsim_errors(f"building decoder {spec.label()} for {qcode.family} d={qcode.distance}"):
        decoder = _qecsim_decoder(spec, qcode.family)
        error_model = model.qecsim_model()
    code = qcode.code
    stabilizers_t = np.asarray(code.stabilizers, dtype=np.uint8).T
    logicals_t = np.asarray(code.logicals, dtype=np.uint8).T
    n = qcode.n

    def decode(errors: np.ndarray) -> np.ndarray:
        syndromes = _bsp(errors, stabilizers_t, n)
        out = np.empty(len(errors), dtype=bool)
        for i in range(len(errors)):
            with qecsim_errors(f"{spec.label()} decoding on {qcode.family} d={qcode.distance} at p={p}"):
                recovery = decoder.decode(code, syndromes[i], error_model=error_model, error_probability=p)
            residual = (np.asarray(recovery, dtype=np.uint8) ^ errors[i])[None, :]
            out[i] = bool(np.any(_bsp(residual, logicals_t, n)))
        return out

    return LogicalFailures(spec, qcode, model, p, decode)


def _bsp(a: np.ndarray, b_t: np.ndarray, n: int) -> np.ndarray:
    """Symplectic product of rows of a (uint8 (k, 2n)) with columns of b_t (uint8 (2n, m)), mod 2: (k, m)."""
    # Plain integer matmul, not qecsim's bsp: the binary arrays stay uint8 whatever numpy version promotes.
    a = a.astype(np.int64)
    return ((a[:, :n] @ b_t[n:].astype(np.int64) + a[:, n:] @ b_t[:n].astype(np.int64)) % 2).astype(np.uint8)


def site_priors(qcode: QecsimCode, model: ErrorModelSpec, p: float) -> np.ndarray:
    """Per-site (P(I), P(X), P(Y), P(Z)) in the decoding frame: float64 (n, 4), X and Z swapped where deformed."""
    dist = np.tile(model.distribution(p), (qcode.n, 1))
    dist[qcode.deformed] = dist[qcode.deformed][:, [0, 3, 2, 1]]
    return dist


def _pymatching_failures(qcode: QecsimCode, model: ErrorModelSpec, p: float) -> Callable[[np.ndarray], np.ndarray]:
    """PyMatching on the X and Z parts separately (CSS codes), weights from each site's marginal flip rate."""
    import pymatching

    n = qcode.n
    stab = np.asarray(qcode.code.stabilizers, dtype=np.uint8)
    logicals_t = np.asarray(qcode.code.logicals, dtype=np.uint8).T
    x_type = stab[np.any(stab[:, :n], axis=1) & ~np.any(stab[:, n:], axis=1)][:, :n]
    z_type = stab[np.any(stab[:, n:], axis=1) & ~np.any(stab[:, :n], axis=1)][:, n:]
    if len(x_type) + len(z_type) != len(stab):
        raise ConfigError(f"qecsim backend: pymatching needs a CSS code; {qcode.family} has mixed stabilizers")
    prior = site_priors(qcode, model, p)
    # Z-type checks see X and Y; X-type checks see Z and Y. Clip so a site that never flips gets a finite weight.
    q_x = np.clip(prior[:, 1] + prior[:, 2], 1e-12, 0.5)
    q_z = np.clip(prior[:, 3] + prior[:, 2], 1e-12, 0.5)
    m_x = pymatching.Matching.from_check_matrix(z_type, weights=np.log((1 - q_x) / q_x))
    m_z = pymatching.Matching.from_check_matrix(x_type, weights=np.log((1 - q_z) / q_z))

    def decode(errors: np.ndarray) -> np.ndarray:
        ex, ez = errors[:, :n], errors[:, n:]
        cx = m_x.decode_batch((ex.astype(np.int64) @ z_type.T.astype(np.int64) % 2).astype(np.uint8))
        cz = m_z.decode_batch((ez.astype(np.int64) @ x_type.T.astype(np.int64) % 2).astype(np.uint8))
        residual = np.concatenate([ex ^ cx.astype(np.uint8), ez ^ cz.astype(np.uint8)], axis=1)
        return np.any(_bsp(residual, logicals_t, n), axis=1)

    return decode
