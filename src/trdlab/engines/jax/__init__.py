"""The optional JAX/diffrax engine (``pip install trdlab[jax]``): see :mod:`trdlab.engines.jax.engine`."""

from trdlab.engines.jax.engine import JaxEngine, JaxSession, engine_for

__all__ = ["JaxEngine", "JaxSession", "engine_for"]
