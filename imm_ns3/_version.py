"""The package version: one place, read by pyproject.toml (dynamic version) and the code."""

__version__ = "0.1.0"
