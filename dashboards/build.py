"""Generate dashboards/generated/<name>.json from every dashboards/<name>.dashboard.py.

Usage:  .venv/bin/python dashboards/build.py          write the JSON files
        .venv/bin/python dashboards/build.py --check  exit 1 if a committed file differs
"""
import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "generated"
SUFFIX = ".dashboard.py"

sys.path.insert(0, str(HERE))
from model import plain  # noqa: E402


def sources():
    return sorted(HERE.glob("*" + SUFFIX))


def name_of(source):
    return source.name[: -len(SUFFIX)]


def load(source):
    """Run a <name>.dashboard.py and return its module-level `dashboard` (grafanalib's convention)."""
    spec = importlib.util.spec_from_file_location(name_of(source).replace("-", "_"), source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dashboard


def render(source):
    """The dashboard JSON text for one source file, keys sorted."""
    return json.dumps(plain(load(source)), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def build_all():
    """{output path: JSON text} for every dashboard source."""
    return {GENERATED / f"{name_of(s)}.json": render(s) for s in sources()}


def drift(built):
    """Paths whose committed content differs from `built`, plus stale generated files."""
    changed = [p for p, text in built.items() if not p.exists() or p.read_text() != text]
    stale = [p for p in GENERATED.glob("*.json") if p not in built]
    return changed + stale


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate Grafana dashboard JSON from grafanalib sources.")
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    args = parser.parse_args(argv)
    built = build_all()
    if args.check:
        differing = drift(built)
        for path in differing:
            print(f"out of date: {os.path.relpath(path)}", file=sys.stderr)
        return 1 if differing else 0
    GENERATED.mkdir(exist_ok=True)
    for path in GENERATED.glob("*.json"):
        if path not in built:
            path.unlink()
    for path, text in built.items():
        path.write_text(text)
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
