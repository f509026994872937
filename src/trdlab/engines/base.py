"""The engine interface: how the simulator drives any ODE backend.

An :class:`Engine` compiles a :class:`~trdlab.model.Model` into a :class:`Session` and lends
compiled sessions out for one simulation at a time (:meth:`Engine.checkout`), so one engine can
serve several threads: a session is mutable and is never in two callers' hands at once.
The simulator (``trdlab.simulate``) owns time and dosing; a session only knows how to
reset itself, change amounts and input rates, and integrate to a list of times.
That split is what lets dosing stay an input (never model state) and lets another
backend (e.g. JAX) plug in without touching the science.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

import numpy as np

from trdlab.dosing.schedule import Schedule
from trdlab.model.sbml_model import Model


@dataclass(frozen=True)
class Solution:
    """A batch of subjects solved on one output grid: what :meth:`Engine.solve` returns.

    Attributes:
        recorded: the time-varying columns of ``values`` (species as amounts).
        values: array ``(time, recorded, subject)``; NaN where a subject failed.
        constants: per subject, the values of the requested constant parameters and compartments.
        errors: per subject, None or the exception its simulation raised (recorded, not raised).
    """

    recorded: tuple[str, ...]
    values: np.ndarray
    constants: tuple[dict[str, float], ...]
    errors: tuple[BaseException | None, ...]

    @property
    def status(self) -> tuple[str, ...]:
        """``"ok"`` or ``"<ErrorType>: message"`` per subject."""
        return tuple("ok" if e is None else f"{type(e).__name__}: {e}" for e in self.errors)


@dataclass(frozen=True)
class EngineSettings:
    """Solver settings, recorded in every result manifest.

    The default relative tolerance is 1e-9: at 1e-8, CVODE's first step after an infusion
    starts into an empty compartment was measured to give relative errors up to 6e-6 for
    some start times (closed-form test ``test_depot_infusion_matches_closed_form...``); at
    1e-9 the worst over 160 start times was 2e-10.

    Attributes:
        relative_tolerance: CVODE relative tolerance.
        absolute_tolerance: CVODE absolute tolerance (model amount units).
        max_steps: maximum internal steps per integration segment (no run can hang).
        wall_limit_s: wall-clock limit of one simulation, checked between segments.
        stiff: BDF (True) or Adams (False).
    """

    relative_tolerance: float = 1e-9
    absolute_tolerance: float = 1e-12
    max_steps: int = 200_000
    wall_limit_s: float = 120.0
    stiff: bool = True


class Session(Protocol):
    """One compiled model instance, driven segment by segment."""

    recorded: tuple[str, ...]
    """Columns returned by :meth:`advance`, in order (time excluded)."""

    state_species: tuple[str, ...]
    """Species whose amounts are ODE state (floating, not set by a rule), document order."""

    def select(self, observables: Sequence[str] | None) -> None:
        """Record only the time-varying ones of ``observables`` (None: every time-varying one).

        Sets :attr:`recorded`; a name the model does not vary over time is left to
        :meth:`constant_values`. Recording fewer columns is faster (libRoadRunner: 7 ms vs 23 ms
        for a 28-day hourly run of the human model with its default vs all 176 columns).
        """

    def start(self, parameters: Mapping[str, float], t0: float, *, reinitialize: bool = True) -> None:
        """Reset to the model's initial state with ``parameters`` overrides, at time ``t0``.

        ``reinitialize=False``: overrides of parameters that initial conditions depend on are
        applied as current values only (the initial state stays the model's default one).
        """

    def reset_state(self) -> None:
        """Put every species back to its initial amount (NONMEM EVID 3); time is kept."""

    def amounts(self) -> np.ndarray:
        """Current amounts of :attr:`state_species`."""

    def set_amounts(self, amounts: np.ndarray) -> None:
        """Overwrite the amounts of :attr:`state_species`."""

    def initial_amounts(self) -> np.ndarray:
        """Initial amounts of :attr:`state_species` (with the current overrides)."""

    def set_time(self, t: float) -> None:
        """Move the session clock to ``t`` without integrating (state unchanged)."""

    def add_amount(self, species_id: str, amount: float) -> None:
        """Add ``amount`` (model amount units) to a species: a bolus."""

    def set_input_rate(self, species_id: str, rate: float) -> None:
        """Set the zero-order input (amount per time unit) into a species."""

    def advance(self, out_times: np.ndarray, t_end: float) -> np.ndarray:
        """Integrate from the current time to ``t_end``; return recorded values at ``out_times``.

        ``out_times`` lie in ``[now, t_end]``; a time equal to now is the current state.
        Returns an array of shape ``(len(out_times), len(recorded))``.
        """

    def constant_values(self) -> dict[str, float]:
        """Values of the selected constant parameters and compartments (not recorded over time)."""


class Engine(Protocol):
    """A simulation backend."""

    name: str
    settings: EngineSettings

    def describe(self) -> dict[str, object]:
        """Name, version and settings of the engine, recorded in result manifests."""

    def session(self, model: Model, infusion_targets: Sequence[str]) -> Session:
        """Compile ``model`` with input rates into ``infusion_targets``: a session the caller owns."""

    def checkout(self, model: Model, infusion_targets: Sequence[str]) -> AbstractContextManager[Session]:
        """Lend a compiled session (pooled, or compiled now) to one caller until the block ends."""

    def solve(
        self, model: Model, schedules: Sequence[Schedule], parameters: Sequence[Mapping[str, float]],
        times: np.ndarray, *, observables: Sequence[str] | None = None, reinitialize: bool = True,
    ) -> Solution:
        """Solve a batch: subject ``k`` gets ``schedules[k]`` and ``parameters[k]``, all on ``times``.

        The batched seam every caller goes through (``simulate`` is a batch of one): an engine
        may loop over sessions (libRoadRunner) or solve the batch at once (a vectorised engine).
        A failing subject is recorded in ``Solution.errors``, never raised.
        """
