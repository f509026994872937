"""SBML -> JAX functions, generated from libsbml's math AST (no source files written).

Why not sbmltoodejax (0.4.3): it parses the infix text of each formula with regular expressions,
writes a Python file per model, raises on varying compartments and user function definitions, and
integrates with its own fixed loop; trdlab needs the Session semantics of its other engine (species
as amounts, parameter overrides, zero-order inputs for infusions) with every value a traced array,
so that one compiled function serves any parameter set (``vmap``) and ``jax.grad`` goes through it.

The subset: compartments, species (amount or concentration, boundary, constant), parameters,
reactions with local parameters and constant stoichiometry, assignment and rate rules, initial
assignments, function definitions, piecewise and the MathML functions and relations. Events,
algebraic rules, delays, fast reactions and variable stoichiometry raise :class:`ModelError`.

A translation is traced once per compile: the AST is walked while JAX traces, so it costs nothing
at run time. State ``y`` holds species as amounts (rate-ruled ones too) and rate-ruled parameters
and compartments as values; ``p`` holds every other symbol's value (species as amounts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special  # noqa: F401
import libsbml

from trdlab.errors import ModelError

Env = Callable[[str], Any]


@dataclass(frozen=True)
class _Species:
    compartment: str
    only_substance: bool
    boundary: bool
    initial_amount: float | None
    initial_concentration: float | None


@dataclass(frozen=True)
class _Reaction:
    math: libsbml.ASTNode
    local: dict[str, float]
    change: tuple[tuple[str, float], ...]


class JaxModel:
    """The functions of one SBML model: ``initial``, ``rhs`` and ``observe``.

    Args:
        sbml: the SBML text.
        inputs: species ids that receive a zero-order input (``u``, amount per time).
        recorded: ids returned by :meth:`observe` (species as amounts).
    """

    def __init__(self, sbml: str, inputs: tuple[str, ...], recorded: tuple[str, ...]) -> None:
        document = libsbml.readSBMLFromString(sbml)
        self._document = document  # the AST nodes below belong to it: keep it alive
        m = document.getModel()
        if m is None:
            raise ModelError("the SBML has no model")
        self._check_subset(m)
        self.compartments = {c.getId(): (c.getSize() if c.isSetSize() else math.nan) for c in m.getListOfCompartments()}
        self.species = {
            s.getId(): _Species(
                s.getCompartment(), s.getHasOnlySubstanceUnits(), s.getBoundaryCondition(),
                s.getInitialAmount() if s.isSetInitialAmount() else None,
                s.getInitialConcentration() if s.isSetInitialConcentration() else None,
            )
            for s in m.getListOfSpecies()
        }
        self.parameters = {p.getId(): (p.getValue() if p.isSetValue() else math.nan) for p in m.getListOfParameters()}
        self.functions: dict[str, tuple[tuple[str, ...], libsbml.ASTNode]] = {}
        for f in m.getListOfFunctionDefinitions():
            lam = f.getMath()
            if lam is None:
                continue
            n = lam.getNumBvars()
            self.functions[f.getId()] = (tuple(lam.getChild(i).getName() for i in range(n)), lam.getChild(lam.getNumChildren() - 1))
        self.assigned: dict[str, libsbml.ASTNode] = {}
        self.rates: dict[str, libsbml.ASTNode] = {}
        for rule in m.getListOfRules():
            target = self.assigned if rule.isAssignment() else self.rates
            target[rule.getVariable()] = rule.getMath()
        self.initial_assignments = {a.getSymbol(): a.getMath() for a in m.getListOfInitialAssignments() if a.getMath() is not None}
        self.reactions = [self._reaction(r) for r in m.getListOfReactions()]
        changed = {sid for r in self.reactions for sid, _ in r.change}
        floating = [sid for sid, s in self.species.items() if not s.boundary and sid not in self.assigned and sid not in self.rates]
        rated = [sid for sid in self.rates]
        self.state = tuple(floating + rated)
        self.state_species = tuple(floating)
        self._state_index = {sid: i for i, sid in enumerate(self.state)}
        symbols = list(self.compartments) + list(self.species) + list(self.parameters)
        self.constants = tuple(s for s in symbols if s not in self._state_index and s not in self.assigned)
        self._constant_index = {sid: i for i, sid in enumerate(self.constants)}
        self.inputs = inputs
        self.recorded = recorded
        self._changed = changed

    # -- structure -------------------------------------------------------------------------
    @staticmethod
    def _check_subset(m: libsbml.Model) -> None:
        if m.getNumEvents():
            raise ModelError("the jax engine does not support SBML events")
        for rule in m.getListOfRules():
            if rule.isAlgebraic():
                raise ModelError("the jax engine does not support algebraic rules")
        for r in m.getListOfReactions():
            if r.isSetFast() and r.getFast():
                raise ModelError("the jax engine does not support fast reactions")
            for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                if ref.isSetStoichiometryMath() or (ref.isSetId() and ref.getId()):
                    raise ModelError("the jax engine does not support variable stoichiometry")
        if "http://www.sbml.org/sbml/symbols/delay" in libsbml.writeSBMLToString(m.getSBMLDocument()):
            raise ModelError("the jax engine does not support delay()")

    def _reaction(self, r: libsbml.Reaction) -> _Reaction:
        law = r.getKineticLaw()
        if law is None or law.getMath() is None:
            raise ModelError(f"reaction {r.getId()!r} has no kinetic law")
        local = {p.getId(): p.getValue() for p in list(law.getListOfParameters()) + list(law.getListOfLocalParameters())}
        change: list[tuple[str, float]] = []
        for sign, refs in ((-1.0, r.getListOfReactants()), (1.0, r.getListOfProducts())):
            for ref in refs:
                stoich = ref.getStoichiometry() if ref.isSetStoichiometry() or ref.getLevel() < 3 else 1.0
                change.append((ref.getSpecies(), sign * stoich))
        return _Reaction(law.getMath(), local, tuple(change))

    def state_index(self, sid: str) -> int:
        return self._state_index[sid]

    def constant_index(self, sid: str) -> int:
        return self._constant_index[sid]

    def is_constant(self, sid: str) -> bool:
        return sid in self._constant_index

    # -- evaluation ----------------------------------------------------------------------
    def _env(self, t: Any, values: Callable[[str], Any]) -> "_Env":
        """A resolver of every symbol's math value (species as concentration unless amount-only)."""
        cache: dict[str, Any] = {}
        busy: set[str] = set()

        def amount(sid: str) -> Any:
            if sid in self.assigned:
                value = symbol(sid)
                return value if self.species[sid].only_substance else value * symbol(self.species[sid].compartment)
            return values(sid)

        def symbol(name: str) -> Any:
            if name in cache:
                return cache[name]
            if name in busy:
                raise ModelError(f"the rules of {name!r} depend on themselves")
            busy.add(name)
            if name in self.assigned:
                value = self.emit(self.assigned[name], symbol, t)
            elif name in self.species:
                a = values(name)
                s = self.species[name]
                value = a if s.only_substance else a / symbol(s.compartment)
            elif name in self.compartments or name in self.parameters:
                value = values(name)
            else:
                raise ModelError(f"the maths reads {name!r}, which is not a symbol of the model")
            busy.discard(name)
            cache[name] = value
            return value

        return _Env(symbol, amount)

    def _values(self, y: Any, p: Any) -> Callable[[str], Any]:
        def values(name: str) -> Any:
            if name in self._state_index:
                return y[self._state_index[name]]
            return p[self._constant_index[name]]
        return values

    def rhs(self, t: Any, y: Any, p: Any, u: Any) -> Any:
        """d(state)/dt: reactions (amounts), rate rules, then the zero-order inputs ``u``."""
        env = self._env(t, self._values(y, p))
        d: list[Any] = [0.0] * len(self.state)
        for r in self.reactions:
            rate = self.emit(r.math, _scoped(env, r.local), t)
            for sid, stoich in r.change:
                if sid in self._state_index and sid not in self.rates and not self.species[sid].boundary:
                    d[self._state_index[sid]] = d[self._state_index[sid]] + stoich * rate
        for name, expr in self.rates.items():
            rate = self.emit(expr, env, t)
            if name in self.species and not self.species[name].only_substance:
                c = self.species[name].compartment
                volume_rate = self.emit(self.rates[c], env, t) if c in self.rates else 0.0
                rate = rate * env(c) + env(name) * volume_rate
            d[self._state_index[name]] = rate
        for k, sid in enumerate(self.inputs):
            d[self._state_index[sid]] = d[self._state_index[sid]] + u[k]
        return jnp.stack([jnp.asarray(v, dtype=jnp.float64) * jnp.ones(()) for v in d]) if d else jnp.zeros(0)

    def observe(self, t: Any, y: Any, p: Any) -> Any:
        """The recorded ids at one state (species as amounts)."""
        env = self._env(t, self._values(y, p))
        out = [env.amount(n) if n in self.species else env(n) for n in self.recorded]
        return jnp.stack([jnp.asarray(v, dtype=jnp.float64) * jnp.ones(()) for v in out]) if out else jnp.zeros(0)

    def initial(self, t0: Any, overrides: Any, mask: Any) -> tuple[Any, Any]:
        """``(p, y0)`` at ``t0``: initial assignments, initial concentrations and rules evaluated.

        ``overrides``/``mask``: one entry per symbol of :attr:`symbols`; an overridden symbol takes
        the override (species: its initial amount) instead of its SBML value or initial assignment.
        """
        index = {s: i for i, s in enumerate(self.symbols)}

        def raw(name: str) -> Any:
            i = index[name]
            if name in self.initial_assignments:
                base = self.emit(self.initial_assignments[name], env, t0)
                if name in self.species and not self.species[name].only_substance:
                    base = base * env(self.species[name].compartment)
            elif name in self.species:
                s = self.species[name]
                if s.initial_amount is not None:
                    base = s.initial_amount
                elif s.initial_concentration is not None:
                    base = s.initial_concentration * env(s.compartment)
                else:
                    base = math.nan
            elif name in self.compartments:
                base = self.compartments[name]
            else:
                base = self.parameters[name]
            return jnp.where(mask[i], overrides[i], base)

        env = self._env(t0, raw)
        p = [env(n) if n not in self.species else env.amount(n) for n in self.constants]
        y = [env.amount(n) if n in self.species else env(n) for n in self.state]
        as_array = lambda v: jnp.stack([jnp.asarray(x, dtype=jnp.float64) * jnp.ones(()) for x in v]) if v else jnp.zeros(0)  # noqa: E731
        return as_array(p), as_array(y)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol that can be overridden, in the order of ``initial``'s arrays."""
        return tuple(list(self.compartments) + list(self.species) + list(self.parameters))

    # -- maths ---------------------------------------------------------------------------
    def emit(self, node: libsbml.ASTNode, env: Env, t: Any) -> Any:
        """The JAX value of one AST node (traced when the arguments are)."""
        kind = node.getType()
        n = node.getNumChildren()
        args = lambda: [self.emit(node.getChild(i), env, t) for i in range(n)]  # noqa: E731
        if kind in (libsbml.AST_INTEGER,):
            return float(node.getInteger())
        if kind in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            return float(node.getReal())
        if kind == libsbml.AST_NAME_TIME:
            return t
        if kind == libsbml.AST_NAME_AVOGADRO:
            return 6.02214076e23
        if kind == libsbml.AST_NAME:
            return env(node.getName())
        if kind == libsbml.AST_CONSTANT_PI:
            return math.pi
        if kind == libsbml.AST_CONSTANT_E:
            return math.e
        if kind == libsbml.AST_CONSTANT_TRUE:
            return jnp.bool_(True)
        if kind == libsbml.AST_CONSTANT_FALSE:
            return jnp.bool_(False)
        if kind == libsbml.AST_PLUS:
            return sum((_num(a) for a in args()), 0.0)
        if kind == libsbml.AST_TIMES:
            out: Any = 1.0
            for a in args():
                out = out * _num(a)
            return out
        if kind == libsbml.AST_MINUS:
            a = [_num(v) for v in args()]
            return -a[0] if n == 1 else a[0] - a[1]
        if kind == libsbml.AST_DIVIDE:
            a = [_num(v) for v in args()]
            return a[0] / a[1]
        if kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            a = [_num(v) for v in args()]
            return jnp.power(a[0], a[1])
        if kind == libsbml.AST_FUNCTION_ROOT:
            a = [_num(v) for v in args()]
            degree, x = (a[0], a[1]) if n == 2 else (2.0, a[0])
            return jnp.power(x, 1.0 / degree)
        if kind == libsbml.AST_FUNCTION_LOG:
            a = [_num(v) for v in args()]
            return jnp.log(a[1]) / jnp.log(a[0]) if n == 2 else jnp.log10(a[0])
        if kind == libsbml.AST_FUNCTION_PIECEWISE:
            a = args()
            otherwise = _num(a[-1]) if n % 2 else jnp.nan
            for k in range(n // 2 - 1, -1, -1):
                otherwise = jnp.where(_bool(a[2 * k + 1]), _num(a[2 * k]), otherwise)
            return otherwise
        if kind == libsbml.AST_FUNCTION:
            name = node.getName()
            if name not in self.functions:
                raise ModelError(f"function {name!r} is not defined in the model")
            bvars, body = self.functions[name]
            bound = dict(zip(bvars, args()))
            return self.emit(body, lambda s: bound[s] if s in bound else env(s), t)
        if kind in _UNARY:
            return _UNARY[kind](_num(args()[0]))
        if kind in _RELATION:
            a = [_num(v) for v in args()]
            result: Any = jnp.bool_(True)
            for left, right in zip(a, a[1:]):
                result = jnp.logical_and(result, _RELATION[kind](left, right))
            return result
        if kind in _LOGIC:
            return _LOGIC[kind]([_bool(v) for v in args()])
        if kind == libsbml.AST_FUNCTION_MAX:
            return _fold(jnp.maximum, [_num(v) for v in args()])
        if kind == libsbml.AST_FUNCTION_MIN:
            return _fold(jnp.minimum, [_num(v) for v in args()])
        if kind == libsbml.AST_FUNCTION_REM:
            a = [_num(v) for v in args()]
            return jnp.fmod(a[0], a[1])
        if kind == libsbml.AST_FUNCTION_QUOTIENT:
            a = [_num(v) for v in args()]
            return jnp.trunc(a[0] / a[1])
        if kind == libsbml.AST_FUNCTION_FACTORIAL:
            return jnp.exp(jax.scipy.special.gammaln(_num(args()[0]) + 1.0))
        if kind == libsbml.AST_FUNCTION_DELAY:
            raise ModelError("the jax engine does not support delay()")
        raise ModelError(f"the jax engine does not support the MathML element {node.getName() or kind!r}")


class _Env:
    """A symbol resolver (math values) with ``amount(species)``."""

    def __init__(self, symbol: Env, amount: Env) -> None:
        self._symbol, self.amount = symbol, amount

    def __call__(self, name: str) -> Any:
        return self._symbol(name)


def _scoped(env: Env, local: dict[str, float]) -> Env:
    if not local:
        return env
    return lambda s: local[s] if s in local else env(s)


def _num(value: Any) -> Any:
    return jnp.where(value, 1.0, 0.0) if getattr(value, "dtype", None) == jnp.bool_ else value


def _bool(value: Any) -> Any:
    return value if getattr(value, "dtype", None) == jnp.bool_ else jnp.asarray(value) != 0.0


def _fold(op: Callable[[Any, Any], Any], values: list[Any]) -> Any:
    out = values[0]
    for v in values[1:]:
        out = op(out, v)
    return out


def _xor(values: list[Any]) -> Any:
    out: Any = jnp.bool_(False)
    for v in values:
        out = jnp.logical_xor(out, v)
    return out


_UNARY: dict[int, Callable[[Any], Any]] = {
    libsbml.AST_FUNCTION_ABS: jnp.abs, libsbml.AST_FUNCTION_EXP: jnp.exp, libsbml.AST_FUNCTION_LN: jnp.log,
    libsbml.AST_FUNCTION_FLOOR: jnp.floor, libsbml.AST_FUNCTION_CEILING: jnp.ceil,
    libsbml.AST_FUNCTION_SIN: jnp.sin, libsbml.AST_FUNCTION_COS: jnp.cos, libsbml.AST_FUNCTION_TAN: jnp.tan,
    libsbml.AST_FUNCTION_SEC: lambda x: 1.0 / jnp.cos(x), libsbml.AST_FUNCTION_CSC: lambda x: 1.0 / jnp.sin(x),
    libsbml.AST_FUNCTION_COT: lambda x: 1.0 / jnp.tan(x),
    libsbml.AST_FUNCTION_SINH: jnp.sinh, libsbml.AST_FUNCTION_COSH: jnp.cosh, libsbml.AST_FUNCTION_TANH: jnp.tanh,
    libsbml.AST_FUNCTION_SECH: lambda x: 1.0 / jnp.cosh(x), libsbml.AST_FUNCTION_CSCH: lambda x: 1.0 / jnp.sinh(x),
    libsbml.AST_FUNCTION_COTH: lambda x: 1.0 / jnp.tanh(x),
    libsbml.AST_FUNCTION_ARCSIN: jnp.arcsin, libsbml.AST_FUNCTION_ARCCOS: jnp.arccos, libsbml.AST_FUNCTION_ARCTAN: jnp.arctan,
    libsbml.AST_FUNCTION_ARCSINH: jnp.arcsinh, libsbml.AST_FUNCTION_ARCCOSH: jnp.arccosh, libsbml.AST_FUNCTION_ARCTANH: jnp.arctanh,
    libsbml.AST_FUNCTION_ARCSEC: lambda x: jnp.arccos(1.0 / x), libsbml.AST_FUNCTION_ARCCSC: lambda x: jnp.arcsin(1.0 / x),
    libsbml.AST_FUNCTION_ARCCOT: lambda x: jnp.arctan(1.0 / x),
    libsbml.AST_FUNCTION_ARCSECH: lambda x: jnp.arccosh(1.0 / x), libsbml.AST_FUNCTION_ARCCSCH: lambda x: jnp.arcsinh(1.0 / x),
    libsbml.AST_FUNCTION_ARCCOTH: lambda x: jnp.arctanh(1.0 / x),
}
_RELATION: dict[int, Callable[[Any, Any], Any]] = {
    libsbml.AST_RELATIONAL_EQ: jnp.equal, libsbml.AST_RELATIONAL_NEQ: jnp.not_equal,
    libsbml.AST_RELATIONAL_GT: jnp.greater, libsbml.AST_RELATIONAL_GEQ: jnp.greater_equal,
    libsbml.AST_RELATIONAL_LT: jnp.less, libsbml.AST_RELATIONAL_LEQ: jnp.less_equal,
}
_LOGIC: dict[int, Callable[[list[Any]], Any]] = {
    libsbml.AST_LOGICAL_AND: lambda v: _fold(jnp.logical_and, v) if v else jnp.bool_(True),
    libsbml.AST_LOGICAL_OR: lambda v: _fold(jnp.logical_or, v) if v else jnp.bool_(False),
    libsbml.AST_LOGICAL_NOT: lambda v: jnp.logical_not(v[0]),
    libsbml.AST_LOGICAL_XOR: _xor,
    libsbml.AST_LOGICAL_IMPLIES: lambda v: jnp.logical_or(jnp.logical_not(v[0]), v[1]),
}
