"""The claims ledger (data) and, in later issues, the experiments that test each claim."""

from trdlab.experiments.ledger import Claim, load_ledger

__all__ = ["Claim", "load_ledger"]
