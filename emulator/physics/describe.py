"""A text table of a device's effective channel and of each component's contribution to it."""

from __future__ import annotations

from emulator.physics.device import DeviceConfig
from emulator.physics.effective import contributions, effective_channel
from protocols.noise import EffectiveChannel

_FIELDS = list(EffectiveChannel.model_fields)


def channel_table(rows: dict[str, EffectiveChannel]) -> str:
    """Render channels as a fixed-width table, one row per name, one column per EffectiveChannel field."""
    name_w = max(len("component"), *(len(k) for k in rows))
    widths = [max(9, len(f)) + 2 for f in _FIELDS]
    head = "component".ljust(name_w) + "".join(f.rjust(w) for f, w in zip(_FIELDS, widths))
    lines = [head, "-" * len(head)]
    for name, ch in rows.items():
        values = "".join(f"{getattr(ch, f):.3e}".rjust(w) for f, w in zip(_FIELDS, widths))
        lines.append(name.ljust(name_w) + values)
    return "\n".join(lines)


def describe_device(device: DeviceConfig) -> str:
    """Summary of `device`: its key figures, then the per-component and total effective channel per qubit and round."""
    src, ch, det = device.source, device.channel, device.detectors
    p = src.photon_number_distribution()
    herald = ""
    if src.kind == "spdc":
        p_h = src.herald_probability()
        herald = f", herald probability {p_h:.4g} per pulse ({p_h * src.rep_rate_hz:.4g} heralds/s)"
    summary = [
        f"device {device.name} ({device.encoding}), round period {device.clock.round_period_ns:g} ns",
        f"source {src.kind}: P(0) = {p[0]:.4g}, P(1) = {p[1]:.4g}, P(>=2) = {p[2:].sum():.4g} per qubit, "
        f"M = {src.indistinguishability:g}, rep rate {src.rep_rate_hz:g} Hz{herald}",
        f"channel: per round {ch.loss_db():.3f} dB (T = {ch.transmission():.4f}); measured photon, source to "
        f"detectors {ch.measured_photon_loss_db():.3f} dB (T = {ch.measured_photon_transmission():.4f}); "
        f"phase variance {ch.phase_variance():.3e} rad^2 per round",
        f"detectors {det.kind}: efficiency {det.efficiency:g}, p_dark {det.dark_probability():.3e} per "
        f"{det.gate_window_ns:g} ns window, jitter {det.jitter_sigma_ps:g} ps, dead time {det.dead_time_ns:g} ns",
        "",
        "effective channel per qubit and round (each component alone, then all together):",
    ]
    rows = dict(contributions(device))
    rows["total (joint)"] = effective_channel(device)
    return "\n".join(summary) + "\n" + channel_table(rows)
