"""Analyses of simulated time courses (non-compartmental PK, later trial statistics)."""
