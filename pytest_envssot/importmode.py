"""Public import path kept stable: ``pytest_envssot.importmode.load_with_env`` (moved to
``pysettings``)."""

from pytest_envssot.pysettings.importmode import load_with_env

__all__ = ["load_with_env"]
