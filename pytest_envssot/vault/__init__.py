"""Vault: the offline render, render --validate, Vault JSON, the live Vault check."""
