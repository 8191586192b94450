"""Installs and new environments: plans, safety gates, the queue and the runner."""
