import sys
from pathlib import Path

# tests/tools.py, tests/receiver.py (shared helpers) and this folder's modules are imported by module name.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
