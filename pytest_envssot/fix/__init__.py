"""``envssot fix``: the mechanical fixes of failing findings, across the three layers."""

from pytest_envssot.fix.apply import ChangedOnDisk
from pytest_envssot.fix.plan import FIXABLE, FixResult, Item, run, write

__all__ = ["FIXABLE", "ChangedOnDisk", "FixResult", "Item", "run", "write"]
