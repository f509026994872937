"""Rendering only: figures and the HTML report of `trdlab reproduce`."""
