"""The real-time half of the loop: ingest, syndromes, decoding, policy, feedback, latency, telemetry."""
