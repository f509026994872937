"""Trial designs as data: a TOML file -> a validated, immutable :class:`TrialDesign`.

Schema (top level; times are strings with units, parsed with pint)::

    name = "my_trial"                # identifier
    title = "..."
    reference = "<bibkey>"           # key of library/references.bib (required for a built-in design)
    citation = "Smith J et al. ..."  # optional free text: a user's design may cite a work outside it
    design = "crossover"             # "parallel" | "crossover" (exactly 2 arms: sequences AB and BA)
    washout = "0 d"                  # crossover only, required: last visit of period 1 -> first dose of period 2
    population = "<population>"      # a table of library/populations.toml, or a population file (path)
    n = 18                           # subjects randomised
    scale = "<scale>"                # a scale of library/scales
    visits = ["40 min", "1 d"]       # ratings, relative to the first dose of each period
    response = 0.5                   # fractional reduction from baseline that counts as response
    remission = 7                    # total <= remission; default: the scale's conventional threshold
    inclusion = 18                   # optional: minimum baseline total on the scale
    allow_predose_visits = false     # a visit before the earliest first dose is an error unless true
    background = { protocol = "<background protocol>", dose = "900 mg" }  # optional, every subject, whole trial
    dropout = { rate = "0.01 /d" }   # constant hazard, or { fraction = 0.1 } lost by the last visit
    relapse_followup = "28 d"        # optional follow-up after the last visit
    notes = "..."                    # optional free text (design choices)

    [[arms]]
    name = "active"
    allocation = 1                   # relative weight (> 0); crossover: weight of the sequence it starts
    placebo = false
    regimen = [{ protocol = "<clinical protocol>", dose = "0.5 mg/kg", duration = "40 min", at = "0 h",
                 every = "2 d", count = 1 }]

A regimen entry names a clinical protocol (:data:`trdlab.dosing.catalog.CLINICAL_PROTOCOLS`);
omitted ``dose``/``duration``/``every`` take the protocol's defaults, ``at`` (first dose from the
period start) defaults to ``"0 h"`` and ``count`` (administrations) to 1.
:func:`validate_design` lists every problem at once; :func:`load_design` raises one
:class:`TrialError` with all of them, one per line, each naming its field. Times are stored once,
as written; their hours (``visit_hours``, ``at_hours``, ``washout_hours``, ...) are derived.

Modules: :mod:`~trdlab.trials.design.model` (the values), :mod:`~trdlab.trials.design.file_schema`
(the file's keys and field checks), :mod:`~trdlab.trials.design.checks` (relations between fields
and to the library), :mod:`~trdlab.trials.design.loading` (built-ins, files, mappings).
"""

from trdlab.trials.design.checks import DESIGNS_DIR
from trdlab.trials.design.loading import builtin_designs, design_from_mapping, load_design, validate_design
from trdlab.trials.design.model import Arm, Dropout, Kind, RegimenEntry, TrialDesign

__all__ = [
    "DESIGNS_DIR", "Arm", "Dropout", "Kind", "RegimenEntry", "TrialDesign", "builtin_designs",
    "design_from_mapping", "load_design", "validate_design",
]
