"""Test-suite set-up: the shared test helpers in this folder (``table_values``) are importable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
