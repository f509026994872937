"""The parameter documentation: every species set's table, rendered from the library."""

from __future__ import annotations

from trdlab.model.library import parameter_table_markdown, species_names

HEADER = (
    "# trdlab model parameters\n\n"
    "Generated from `src/trdlab/library/parameters/*.toml` by `make docs` "
    "(`trdlab.report.parameters.parameters_markdown`); do not edit by hand. Values are shown as "
    "the tables state them (literature units); the build converts them with pint to the units "
    "the Antimony modules declare, scaling by body weight where the scaling column says so.\n\n"
)


def parameters_markdown() -> str:
    """All species sets' parameter tables as one Markdown document."""
    return HEADER + "\n".join(parameter_table_markdown(name) for name in species_names())
