"""Public import path kept stable: ``pytest_envssot.naming.Naming`` (moved to ``isolation``)."""

from pytest_envssot.isolation.naming import Naming, NamingError

__all__ = ["Naming", "NamingError"]
