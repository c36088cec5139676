"""Objective quality labels (OmniVQA §3.1): no-reference signals, the built-in baseline rater,
the rater ensemble and the score → level rule."""
