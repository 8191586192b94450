"""Bundled data tables: generated stdlib module names and the curated module map."""
