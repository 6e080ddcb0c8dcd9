"""From a study config to sinter tasks: one memory circuit per (noise model, distance, swept value)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sinter

from protocols.codes import CodeSpec, build_memory_circuit, layout
from protocols.errors import ConfigError, QuantaCoreError
from protocols.noise import load_noise, parse_noise, with_parameter
from studies.config import StudyConfig, resolve_noise_path
from studies.report import CircuitFacts, NoiseSummary


@dataclass(frozen=True)
class StudyPlan:
    """The tasks to collect and, per noise model, what the analysis needs to describe it."""

    tasks: tuple[sinter.Task, ...]
    summaries: tuple[NoiseSummary, ...]
    decoders: tuple[str, ...]


def _qubits_for(family: str, basis: str) -> Callable[[int], int]:
    """Physical qubits of one logical qubit of `family` at distance d (for extrapolated distances)."""

    def qubits(d: int) -> int:
        return layout(CodeSpec(family=family, distance=d, rounds=1, basis=basis)).num_physical_qubits

    return qubits


def plan_study(cfg: StudyConfig, config_path: str | Path) -> StudyPlan:
    """Build every task of the study; a noise model that cannot be built is a ConfigError naming the entry."""
    config_path = Path(config_path)
    tasks: list[sinter.Task] = []
    summaries: list[NoiseSummary] = []
    for i, entry in enumerate(cfg.noise):
        where = f"{config_path}: noise.{i} ({entry.name})"
        if entry.path is not None:
            base = load_noise(resolve_noise_path(entry.path, config_path, i))
        else:
            base = parse_noise(entry.model, f"{config_path}: noise.{i}.model")
        parameter = entry.parameter or base.sweep_parameter
        decoder = entry.decoder or cfg.decoder
        facts: list[CircuitFacts] = []
        for j, value in enumerate(entry.sweep):
            try:
                model = with_parameter(base, parameter, value)
            except ConfigError as e:
                raise ConfigError(f"{where}: sweep.{j}: {e}") from e
            for d in cfg.code.distances:
                try:
                    rounds = cfg.code.rounds or model.rounds_for(d)
                    spec = CodeSpec(family=cfg.code.family, distance=d, rounds=rounds, basis=cfg.code.basis)
                    circuit = build_memory_circuit(spec, model.hooks())
                except QuantaCoreError as e:
                    raise ConfigError(f"{where}: cannot build d={d} at {parameter}={value}: {e}") from e
                if j == 0:
                    facts.append(CircuitFacts(d=d, rounds=rounds, physical_qubits=layout(spec).num_physical_qubits,
                                              detectors=circuit.num_detectors))
                tasks.append(sinter.Task(
                    circuit=circuit,
                    decoder=decoder,
                    json_metadata={
                        "study": cfg.name, "noise": entry.name, "kind": base.kind, "param": parameter,
                        "p": float(value), "d": d, "rounds": rounds, "family": cfg.code.family,
                        "basis": cfg.code.basis, "decoder": decoder,
                        "model": model.model_dump(mode="json"),
                    },
                ))
        summaries.append(NoiseSummary(
            name=entry.name, kind=base.kind, parameter=parameter, decoder=decoder, facts=tuple(facts),
            qubits_for=_qubits_for(cfg.code.family, cfg.code.basis),
        ))
    return StudyPlan(tuple(tasks), tuple(summaries), tuple(sorted({t.decoder for t in tasks})))
