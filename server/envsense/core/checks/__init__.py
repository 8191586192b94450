"""Checks: sources, manifest lines and projects turned into findings."""
