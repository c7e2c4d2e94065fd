import sys
from pathlib import Path

# tests/tools.py (shared helpers) and this folder's helmchart.py are imported by module name.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
