import sys
from pathlib import Path

# The incident stack reuses the alerting tests' real-process helpers (tests/rules/alerting_stack.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
