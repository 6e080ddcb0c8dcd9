"""Offline QEC baseline studies: thresholds, overhead, plots."""
