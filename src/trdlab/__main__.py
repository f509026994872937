"""``python -m trdlab``: the command line."""

from trdlab.cli import main

main()
