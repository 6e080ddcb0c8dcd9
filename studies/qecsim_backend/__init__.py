"""qecsim as a second simulation backend of the threshold study: code-capacity models, MWPM and MPS decoders."""

from studies.qecsim_backend.codes import CODE_FAMILIES, QecsimCode, build_code, physical_qubits
from studies.qecsim_backend.config import QecsimStudyConfig, load_qecsim_config
from studies.qecsim_backend.decoders import DECODER_CODES, DecoderSpec, LogicalFailures, build_decoder, site_priors
from studies.qecsim_backend.error_models import ErrorModelSpec
from studies.qecsim_backend.errors import qecsim_errors
from studies.qecsim_backend.runner import collect_qecsim, run_chunk
from studies.qecsim_backend.sampling import sample_errors, to_decoding_frame
from studies.qecsim_backend.study import BACKENDS, backend_of, plan_qecsim, run_qecsim_study
from studies.qecsim_backend.tasks import QecsimTask

__all__ = [
    "BACKENDS",
    "CODE_FAMILIES",
    "DECODER_CODES",
    "DecoderSpec",
    "ErrorModelSpec",
    "LogicalFailures",
    "QecsimCode",
    "QecsimStudyConfig",
    "QecsimTask",
    "backend_of",
    "build_code",
    "build_decoder",
    "collect_qecsim",
    "load_qecsim_config",
    "physical_qubits",
    "plan_qecsim",
    "qecsim_errors",
    "run_chunk",
    "run_qecsim_study",
    "sample_errors",
    "site_priors",
    "to_decoding_frame",
]
