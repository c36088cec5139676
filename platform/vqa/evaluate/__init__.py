"""Evaluation: rating correlations and multiple-choice accuracy (the papers' benchmarks)."""
