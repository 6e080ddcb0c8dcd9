"""The device half of the loop: photonic physics, scenarios, QEC experiment sampling, readout, the server."""
