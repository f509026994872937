"""Virtual clinical trials: designs, running, statistics."""
