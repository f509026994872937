"""From the command line's words to an evaluator and its ranges (every problem named with its option).

Three kinds of readout, exactly one per analysis:

- ``--protocol P --readout OBS@TIME`` on ``--species`` (a named protocol, an observable at a time);
- ``--experiment ID --check CHECK``: the value the claim's check is judged on;
- ``--design NAME --arm ARM --visit VISIT [--metric response_rate]``: a virtual-trial rate.

Ranges: ``all-with-ranges`` (every table row with a ``cv``) or a ranges file (:mod:`.ranges`).
"""

from __future__ import annotations

from pathlib import Path

from trdlab.errors import TrdlabError
from trdlab.model.sbml_model import Model
from trdlab.sensitivity.analysis import Evaluator
from trdlab.sensitivity.ranges import ALL_WITH_RANGES, Range, file_ranges, table_ranges
from trdlab.sensitivity.readouts import CheckReadout, ProtocolReadout, TrialReadout, _model


def _ranges(parameters: str, species: str, model: Model) -> tuple[list[Range], list[tuple[str, str]]]:
    if parameters == ALL_WITH_RANGES:
        ranges, excluded = table_ranges(species, model)
        if not ranges:
            raise TrdlabError(f"--parameters {ALL_WITH_RANGES}: no row of the {species} tables has a cv; give a ranges file")
        return ranges, excluded
    return file_ranges(Path(parameters), model), []


def parse_readout(text: str) -> tuple[str, float]:
    """``"spine_density_pfc@24 h"`` -> ``("spine_density_pfc", 24.0)`` (hours)."""
    from trdlab.dosing.constructors import hours

    if "@" not in text:
        raise TrdlabError(f"--readout {text!r}: write OBSERVABLE@TIME, e.g. spine_density_pfc@24h")
    name, at = text.split("@", 1)
    return name.strip(), hours(at.strip(), "--readout time")


def prepare(*, species: str | None = None, protocol: str | None = None, options: dict[str, str] | None = None,
            readout: str | None = None, experiment: str | None = None, check: str | None = None,
            design: str | None = None, arm: str | None = None, visit: str | None = None,
            metric: str = "response_rate", trial_n: int = 60, seed: int = 1,
            parameters: str = ALL_WITH_RANGES) -> tuple[Evaluator, list[Range], list[tuple[str, str]]]:
    """The evaluator and its ranges; raises one :class:`TrdlabError` naming the option to fix."""
    kinds = [k for k, given in (("--protocol/--readout", protocol or readout), ("--experiment/--check", experiment or check),
                                ("--design/--arm/--visit", design or arm or visit)) if given]
    if len(kinds) != 1:
        raise TrdlabError("give exactly one readout: --protocol P --readout OBS@TIME (with --species), "
                          f"--experiment ID --check CHECK, or --design NAME --arm ARM --visit VISIT; got {kinds or 'none'}")
    if protocol or readout:
        return _protocol(species, protocol, options or {}, readout, parameters)
    if experiment or check:
        return _check(experiment, check, parameters)
    return _trial(design, arm, visit, metric, trial_n, seed, parameters)


def _protocol(species: str | None, protocol: str | None, options: dict[str, str], readout: str | None,
              parameters: str) -> tuple[Evaluator, list[Range], list[tuple[str, str]]]:
    from trdlab.dosing.catalog import PROTOCOLS

    if not species or not protocol or not readout:
        raise TrdlabError("--species, --protocol and --readout go together, e.g. --species rat --protocol ketamine_ip "
                          "--readout spine_density_pfc@24h")
    if protocol not in PROTOCOLS:
        raise TrdlabError(f"--protocol {protocol!r} is not a named protocol (see `trdlab protocols`)")
    model = _model(species)
    observable, time_h = parse_readout(readout)
    if observable not in model.species_ids + model.compartments + model.parameters:
        raise TrdlabError(f"--readout {observable!r} is not an observable of the {species} model")
    PROTOCOLS[protocol](species=species, **options)  # bad options fail here, before any run
    ranges, excluded = _ranges(parameters, species, model)
    evaluator = ProtocolReadout(species, protocol, tuple(sorted(options.items())), observable, time_h,
                                tuple(r.name for r in ranges), tuple(r.nominal for r in ranges))
    return evaluator, ranges, excluded


def _check(experiment: str | None, check: str | None, parameters: str) -> tuple[Evaluator, list[Range], list[tuple[str, str]]]:
    from trdlab.experiments.loading import load_experiments

    found = {e.id: e for e in load_experiments()}
    if not experiment or experiment not in found:
        raise TrdlabError(f"--experiment {experiment!r} is not an experiment id (see `trdlab experiments list`)")
    spec = found[experiment]
    if spec.cohorts:
        raise TrdlabError(f"--experiment {experiment}: a trial experiment; use --design/--arm/--visit for clinical readouts")
    ids = [c.id for c in spec.checks]
    if check not in ids:
        raise TrdlabError(f"--check {check!r} is not a check of {experiment}; its checks: {', '.join(ids)}")
    model = _model(spec.species, spec.compounds)
    ranges, excluded = _ranges(parameters, spec.species, model)
    return CheckReadout(experiment, check, tuple(r.name for r in ranges), tuple(r.nominal for r in ranges)), ranges, excluded


def _trial(design: str | None, arm: str | None, visit: str | None, metric: str, trial_n: int, seed: int,
           parameters: str) -> tuple[Evaluator, list[Range], list[tuple[str, str]]]:
    from trdlab.trials.design import load_design
    from trdlab.trials.regimens import design_compounds

    if not design or not arm or not visit:
        raise TrdlabError("--design, --arm and --visit go together, e.g. --design zarate2006 --arm ketamine --visit '1 d'")
    spec = load_design(design)
    arms = [a.name for a in spec.arms]
    if arm not in arms:
        raise TrdlabError(f"--arm {arm!r} is not an arm of {design}; its arms: {', '.join(arms)}")
    if visit not in spec.visits:
        raise TrdlabError(f"--visit {visit!r} is not a visit of {design}; its visits: {', '.join(spec.visits)}")
    if metric not in ("response_rate", "remission_rate"):
        raise TrdlabError(f"--metric {metric!r}: use response_rate or remission_rate")
    if trial_n < 10:
        raise TrdlabError(f"--trial-n {trial_n}: give at least 10 subjects")
    model = _model("human", design_compounds(spec))
    ranges, excluded = _ranges(parameters, "human", model)
    evaluator = TrialReadout(design, trial_n, seed, arm, visit, metric, tuple(r.name for r in ranges),
                             tuple(r.nominal for r in ranges))
    return evaluator, ranges, excluded
