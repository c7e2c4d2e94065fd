"""Bad networks against the real exporter process: each fault gives sentry_up 0 while /metrics keeps
answering fast, and the exporter recovers without a restart once the network behaves again.

One exporter talks to a front door on a fixed port that changes behaviour: passing through to the
simulator, refusing connections, resetting mid-body, trickling bytes, redirecting to another host.
"""

import socket
import subprocess
import time

import requests

from badservers import (RawServer, plain_http_to_tls, proxy_to, redirect_to, reset_mid_body, trickle,
                        trickle_headers)
from tools import TOKEN, require_tool, sample_values, wait_for


def value(text, name, **labels):
    for key, v in sample_values(text, name).items():
        if all((k, want) in key for k, want in labels.items()):
            return v
    return None


def up(exporter):
    return value(exporter.metrics(), "sentry_up")


def fast_scrape(exporter):
    t0 = time.monotonic()
    text = exporter.metrics()
    assert time.monotonic() - t0 < 0.5, "a scrape must never wait for Sentry"
    assert requests.get(f"{exporter.url}/healthz", timeout=2).status_code == 200
    return text


def test_faults_then_recovery_without_restart(make_sim, make_exporter, scripted):
    org, sim = make_sim()
    sim_port = int(sim.url.rsplit(":", 1)[1])
    front = RawServer(proxy_to(sim_port))
    port = front.port
    exporter = make_exporter(front.url).wait_ready()
    good = sample_values(exporter.metrics(), "sentry_issues")
    other_host = scripted()  # the redirect target: it must never hear from the exporter
    durations = {}

    def fault(name, start, stop):
        start()
        # The issues poller itself: another poller may fail first and the fault end before issues met it.
        wait_for(lambda: value(exporter.metrics(), "sentry_poll_success", poller="issues") == 0.0, 30,
                 what=f"a failed issues poll under {name}")
        text = fast_scrape(exporter)
        assert value(text, "sentry_up") == 0.0, name
        assert sample_values(text, "sentry_issues") == good, f"{name}: the last good values stay"
        durations[name] = value(text, "sentry_poll_duration_seconds", poller="issues")
        stop()
        wait_for(lambda: up(exporter) == 1.0, 40, what=f"recovery after {name}")

    def refuse():
        front.stop()

    def listen_again():
        nonlocal front
        front = RawServer(proxy_to(sim_port), port=port)

    try:
        fault("connection refused", refuse, listen_again)
        fault("reset mid-body", lambda: front.switch(reset_mid_body), lambda: front.switch(proxy_to(sim_port)))
        fault("trickled body", lambda: front.switch(trickle(0.2, 60)), lambda: front.switch(proxy_to(sim_port)))
        fault("trickled headers", lambda: front.switch(trickle_headers(0.2)), lambda: front.switch(proxy_to(sim_port)))
        fault("HTML 502 page from a proxy", lambda: sim.faults.set(html_error=True), sim.faults.clear)
        fault("redirect to another host",
              lambda: front.switch(redirect_to(f"http://localhost:{other_host.url.rsplit(':', 1)[1]}/api/0/")),
              lambda: front.switch(proxy_to(sim_port)))
    finally:
        front.stop()
    assert other_host.seen == [], "a redirect must not be followed, least of all with the token"
    # 4 attempts of at most 1 s each (SENTRY_TIMEOUT_SECONDS) plus at most 3.5 s of backoff
    print(durations)  # poll durations under each fault, for the record (pytest -s)
    for trickled in ("trickled body", "trickled headers"):
        assert durations[trickled] < 9, f"the read timeout did not hold: {durations}"
    errors = value(exporter.metrics(), "sentry_api_requests_total", endpoint="issues", code="error")
    assert errors and errors >= 4


def self_signed(tmp_path):
    openssl = require_tool("openssl")
    tmp_path.mkdir(parents=True, exist_ok=True)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_tls_errors_fail_closed_and_say_why(make_exporter, scripted, tmp_path):
    """https to a plain-HTTP port, and to a self-signed certificate: no data, no token sent, a clear log."""
    tls_server = scripted(tls=self_signed(tmp_path))
    plain = RawServer(plain_http_to_tls)
    try:
        exporters = {
            "self-signed": make_exporter(tls_server.url),
            "plain http": make_exporter(f"https://127.0.0.1:{plain.port}"),
        }
        for name, exporter in exporters.items():
            wait_for(lambda: value(exporter.metrics(), "sentry_poll_success", poller="issues") == 0.0, 30,
                     what=f"a failed poll ({name})")
            text = fast_scrape(exporter)
            assert value(text, "sentry_up") == 0.0
            assert requests.get(f"{exporter.url}/readyz", timeout=2).status_code == 503
        assert tls_server.seen == [], "the handshake must fail before any request (and token) is sent"
        for name, exporter in exporters.items():
            _, err = exporter.stop()
            assert "SSLError" in err, f"{name}: the log should name the TLS failure: {err[-500:]}"
            assert TOKEN not in err
    finally:
        plain.stop()


def test_idle_and_slow_clients_do_not_block_metrics(make_sim, make_exporter):
    """Hundreds of connections that say nothing, or send a header a byte at a time, hold no scrape up."""
    _, sim = make_sim()
    exporter = make_exporter(sim.url).wait_ready()
    port = int(exporter.url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        for _ in range(10):
            for s in slow:
                s.sendall(b"a")
            fast_scrape(exporter)
    finally:
        for s in idle + slow:
            s.close()
    assert up(exporter) == 1.0


def test_tls_error_heals_without_a_restart_once_the_ca_bundle_is_right(make_exporter, scripted, tmp_path):
    """A private CA (self-hosted Sentry): a wrong bundle fails closed; fixing the file heals the next poll."""
    right_cert, right_key = self_signed(tmp_path / "right")
    wrong_cert, _ = self_signed(tmp_path / "wrong")
    server = scripted(tls=(right_cert, right_key))
    bundle = tmp_path / "ca.pem"
    bundle.write_text(open(wrong_cert).read())
    exporter = make_exporter(server.url, SENTRY_CA_BUNDLE=str(bundle))
    wait_for(lambda: value(exporter.metrics(), "sentry_poll_success", poller="issues") == 0.0, 30,
             what="a failed TLS handshake")
    assert server.seen == []
    bundle.write_text(open(right_cert).read())  # e.g. a rotated secret mount
    wait_for(lambda: value(exporter.metrics(), "sentry_poll_success", poller="issues") == 1.0, 30,
             what="recovery with the right CA")
    assert all(headers.get("Authorization") == f"Bearer {TOKEN}" for _, headers in server.seen)
