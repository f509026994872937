"""Dosing: NONMEM-style dose event tables, their expansion, and named protocols."""

from trdlab.dosing.regimen import COLUMNS, DoseEvent, Regimen

__all__ = ["COLUMNS", "DoseEvent", "Regimen"]
