"""Scores, evaluation reports, cross-validation and benchmarks."""
