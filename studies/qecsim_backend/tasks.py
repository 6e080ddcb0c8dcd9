"""One qecsim-backend task (code, distance, error model, p, decoder) and its identity in stats.csv."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from studies.qecsim_backend.decoders import DecoderSpec
from studies.qecsim_backend.error_models import ErrorModelSpec

BACKEND = "qecsim"


@dataclass(frozen=True)
class QecsimTask:
    """What one stats.csv task of the qecsim backend samples; `noise` names its curve in the study."""

    study: str
    noise: str
    family: str
    d: int
    p: float
    model: ErrorModelSpec
    decoder: DecoderSpec

    def json_metadata(self) -> dict:
        """The task's json_metadata in stats.csv (what points_by_noise and the fits read, plus provenance)."""
        return {
            "study": self.study, "noise": self.noise, "kind": "code_capacity", "param": "p", "p": float(self.p),
            "d": self.d, "rounds": 1, "family": self.family, "error_model": self.model.model_dump(mode="json"),
            "noise_model": self.model.label(), "decoder": self.decoder.label(), "backend": BACKEND,
        }

    @property
    def decoder_name(self) -> str:
        """The stats.csv `decoder` column: backend and decoder, e.g. 'qecsim:mps(chi=8)'."""
        return f"{BACKEND}:{self.decoder.label()}"

    @property
    def strong_id(self) -> str:
        """SHA-256 of the canonical task description: equal tasks share rows across runs (resume)."""
        text = json.dumps([self.decoder_name, self.json_metadata()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
