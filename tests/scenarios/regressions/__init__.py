"""Regressions found by an adversarial review of the engine, each a failing case first."""
