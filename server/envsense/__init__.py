"""envsense: knows each Python project's environment and what won't import in it."""

__version__ = "0.1.0"
