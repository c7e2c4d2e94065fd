"""Secure defaults checked from files, since no Docker engine runs here: the exporter image runs as a
non-root user, and neither the repository nor what the exporter image copies holds a secret."""

import fnmatch
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tools import ROOT

# Shapes of real credentials. Sentry's org tokens are sntrys_ + base64 JSON ("eyJ..."), user tokens
# sntryu_ + 64 hex, so test fixtures such as "sntrys_test_token" do not match by design.
PATTERNS = {
    "Sentry org token": r"sntrys_eyJ[A-Za-z0-9+/=_-]{20,}",
    "Sentry user token": r"sntryu_[0-9a-f]{64}",
    "token assigned in config": r"SENTRY_AUTH_TOKEN[\"']?\s*[=:]\s*[\"']?[A-Za-z0-9_+/=-]{32,}",
    "Slack webhook": r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}",
    "PagerDuty key": r"(?:routing|service|integration)_key\W{1,4}[A-Za-z0-9]{32}\b",
    "private key": r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    "AWS access key": r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
    "AWS secret key": r"aws_secret_access_key\W{1,4}[A-Za-z0-9/+=]{40}",
}
SECRET = re.compile("|".join(f"(?P<g{i}>{p})" for i, p in enumerate(PATTERNS.values())))
# Obvious fixtures that must look real to test a scanner or a redactor; keep this list tiny.
ALLOWED: set[tuple[str, str]] = set()


def findings(paths) -> list[str]:
    found = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except (IsADirectoryError, FileNotFoundError):
            continue
        for m in SECRET.finditer(text):
            kind = list(PATTERNS)[int(m.lastgroup[1:])]
            rel = str(Path(path).relative_to(ROOT))
            if (rel, kind) not in ALLOWED:
                found.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {kind}")
    return found


def test_the_patterns_catch_real_shapes():
    """Samples are assembled at run time so this file does not itself hold a secret-shaped string."""
    samples = {
        "Sentry org token": "sntrys_" + "eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ",
        "Sentry user token": "sntryu_" + "ab12" * 16,
        "token assigned in config": "SENTRY_AUTH_TOKEN=" + "Zx9" * 12,
        "Slack webhook": "https://hooks.slack.com/services/" + "T0123ABCD/B0456EFGH/" + "a1B2c3D4" * 3,
        "PagerDuty key": "routing_key: " + "0123456789abcdef" * 2,
        "private key": "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
        "AWS access key": "AKIA" + "IOSFODNN7EXAMPLE",
        "AWS secret key": "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
    for kind, sample in samples.items():
        m = SECRET.search(f"x {sample} y")
        assert m and list(PATTERNS)[int(m.lastgroup[1:])] == kind, kind
    for fixture in ("sntrys_test_token_0123456789", "hooks.slack.com/services/T0/B0/team-b", "SENTRY_AUTH_TOKEN="):
        assert not SECRET.search(fixture), fixture


def test_no_secret_in_the_repository():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    paths = [ROOT / p for p in files.decode().split("\0") if p]
    assert len(paths) > 50
    assert findings(paths) == []


def copied_by(dockerfile: Path) -> list[Path]:
    """Every file on disk that the Dockerfile's COPY lines send from the context, minus .dockerignore."""
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    files = []
    for line in dockerfile.read_text().splitlines():
        parts = line.split()
        if not parts or parts[0].upper() != "COPY" or any(p.startswith("--from") for p in parts):
            continue
        for source in [p for p in parts[1:-1] if not p.startswith("--")]:
            for path in ROOT.glob(source.rstrip("/")):
                for f in ([path] if path.is_file() else path.rglob("*")):
                    if f.is_file() and not _ignored(f.relative_to(ROOT), ignore):
                        files.append(f)
    return files


def _ignored(rel: Path, patterns: list[str]) -> bool:
    """.dockerignore, as far as this repository uses it: `name`, `dir/name` and `**/name` patterns."""
    return any(fnmatch.fnmatch(str(rel), pattern) or
               any(fnmatch.fnmatch(part, pattern.removeprefix("**/")) for part in rel.parts)
               for pattern in patterns)


def test_no_secret_in_what_the_exporter_image_copies():
    copied = copied_by(ROOT / "exporter/Dockerfile")
    names = {str(p.relative_to(ROOT)) for p in copied}
    assert "exporter/sentry_exporter/sentry/client.py" in names and "exporter/pyproject.toml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names), "the .dockerignore is applied"
    assert findings(copied) == []


def final_stage(dockerfile: Path) -> list[str]:
    lines = [l.strip() for l in dockerfile.read_text().splitlines() if l.strip() and not l.lstrip().startswith("#")]
    start = max(i for i, l in enumerate(lines) if l.upper().startswith("FROM "))
    return lines[start:]


@pytest.mark.parametrize("dockerfile", ["exporter/Dockerfile"])
def test_the_image_runs_as_a_non_root_user(dockerfile):
    stage = final_stage(ROOT / dockerfile)
    users = [l.split(None, 1)[1].strip() for l in stage if l.upper().startswith("USER ")]
    assert users, f"{dockerfile} sets no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"{dockerfile} ends as {user}"
    if user.isdigit():
        assert int(user) >= 1000
    text = "\n".join(stage)
    created = re.search(r"useradd[^\n]*--uid\s+(\d+)", text)
    assert created and (created.group(1) == user or f" {user}" in created.group(0)), "the user must exist"


def test_no_test_imports_from_conftest():
    """Every test directory has a conftest.py, so `from conftest import` binds to whichever was imported
    first and breaks when directories run together: shared helpers live in modules with their own names."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")
                 if re.search(r"^\s*(from conftest import|import conftest)", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


# A literal date near the present in test code or data turns into "today", or leaves a window, on some day,
# and the test fails from then on (issue 23): test times come from the test's clock (now, or the injected
# one). A line about parsing or formatting, or naming an injected clock's calendar, carries this marker.
FIXED_DATE = "fixed-date:"
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)")
NEAR_YEARS = 5


def near_present_dates(paths, year: int) -> list[str]:
    """`file:line: date` for each ISO date within NEAR_YEARS of `year` on a line without the marker."""
    found = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except (IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(lines, 1):
            if FIXED_DATE not in line:
                found += [f"{Path(path).name}:{number}: {m.group(0)}"
                          for m in ISO_DATE.finditer(line) if abs(int(m.group(1)) - year) <= NEAR_YEARS]
    return found


def test_the_date_scanner_catches_near_dates_only(tmp_path):
    """Samples are assembled at run time so this file holds no date itself."""
    year = 2040
    probe = tmp_path / "probe.py"
    lines = [f'ISO = "{year + 1}-11-20T10:00:00Z"', f'seen = "{year - 5}-02-29"',
             f'old = "{year - 6}-01-01"', f'parsed = "{year}-12-31"  # {FIXED_DATE} the parser reads it',
             f'not_a_date = "{year}-13-01", "{year}-1-1", "1{year}-01-01"']
    probe.write_text("\n".join(lines) + "\n")
    assert near_present_dates([probe], year) == [f"probe.py:1: {year + 1}-11-20", f"probe.py:2: {year - 5}-02-29"]


def test_no_literal_date_near_the_present_in_tests():
    files = subprocess.run(["git", "ls-files", "-z", "tests"], cwd=ROOT, capture_output=True, check=True).stdout
    paths = [ROOT / p for p in files.decode().split("\0") if p]
    assert len(paths) > 50
    assert near_present_dates(paths, datetime.now(timezone.utc).year) == [], \
        f"take test times from the test's clock, or mark a line about parsing with '{FIXED_DATE} <why>'"
