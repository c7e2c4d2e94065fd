"""A body far larger than any Sentry answer is not read whole: the client stops at its cap and says so,
and its memory stays near what it was. Measured in a child process (VmHWM, its peak resident memory),
so the server's copy of the body does not count."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hostile.badservers import Reply, ScriptedServer
from tools import shared

ISSUE = shared("sentry-api", "real-shapes", "issue.json")
CHILD = """
import json, sys
from sentry_exporter.sentry.client import SentryClient

def peak_kb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))

client = SentryClient(sys.argv[1], "sntryu_body_cap", max_attempts=1)
before = peak_kb()
try:
    outcome = f"parsed {len(client.get_json('issues', 'organizations/acme/issues/'))} issues"
except Exception as e:
    outcome = str(e)
print(json.dumps({"grew_mb": (peak_kb() - before) / 1024, "outcome": outcome}))
"""


def test_a_64_mib_page_is_cut_at_the_cap_and_memory_stays_flat():
    one = json.dumps(json.loads(ISSUE.read_text())).encode()  # a real issue, 4.9 kB
    body = b"[" + b",".join([one] * (64 * 2**20 // (len(one) + 1))) + b"]"  # 64 MiB of valid issues
    server = ScriptedServer(lambda endpoint, params: Reply(200, body, {"Content-Type": "application/json"}))
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, server.url], capture_output=True, text=True,
                               timeout=120, env=dict(os.environ))
    finally:
        server.stop()
    result = json.loads(child.stdout)
    assert "body larger than 4 MiB, stopped reading" in result["outcome"], result
    # Before the cap was 4 MiB, the whole body was read and parsed: peak memory grew by about 426 MB.
    assert result["grew_mb"] < 32, result
