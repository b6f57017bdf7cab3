"""pytest-envssot: one source of truth for environment variables."""

__version__ = "0.1.0"
