"""Keeping environments apart: naming, the private cluster, branch databases, fixtures."""
