"""Helpers that build real layouts for tests: wheels, venvs, installs. No network."""
