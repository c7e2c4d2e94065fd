import sys
from pathlib import Path

# tests/tools.py, tests/stack/stackfiles.py (Dockerfile parsing) and this folder's modules are
# imported by module name.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "stack"), str(HERE)]
