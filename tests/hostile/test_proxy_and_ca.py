"""A corporate network: Sentry behind an HTTPS proxy (HTTPS_PROXY, NO_PROXY) and a private CA
(SENTRY_CA_BUNDLE, or REQUESTS_CA_BUNDLE / SSL_CERT_FILE as other tools read it). The proxy here is a
real CONNECT tunnel on loopback; nothing else of the environment is trusted (~/.netrc is not read)."""

from __future__ import annotations

import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hostile.badservers import json_reply
from hostile.test_bad_networks import self_signed
from sentry_exporter.config import ConfigError, load_config
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError
from tools import TOKEN

ISSUES = "organizations/acme/issues/"
BASE = {"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme"}


class TunnelProxy:
    """An HTTP proxy that only tunnels (CONNECT host:port), as corporate HTTPS proxies do; it records
    each tunnel's target and sees nothing inside it."""

    def __init__(self):
        self.tunnels: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_CONNECT(self):  # noqa: N802 - http.server's naming
                outer.tunnels.append(self.path)
                host, port = self.path.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)), timeout=5)
                self.send_response(200, "Connection established")
                self.end_headers()
                pipes = [self.connection, upstream]
                while True:
                    readable, _, _ = select.select(pipes, [], [], 5)
                    if not readable:
                        break
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            upstream.close()
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)
                upstream.close()

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def proxy():
    p = TunnelProxy()
    yield p
    p.stop()


@pytest.fixture
def private_sentry(scripted, tmp_path):
    """Sentry over TLS with a certificate of a private CA, and that CA's bundle."""
    cert, key = self_signed(tmp_path)
    return scripted(lambda endpoint, params: json_reply([{"id": "1"}]), tls=(cert, key)), cert


@pytest.mark.parametrize("variable", ["SENTRY_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_through_an_https_proxy_with_a_private_ca(proxy, private_sentry, monkeypatch, variable):
    server, ca = private_sentry
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    config = load_config({**BASE, "SENTRY_URL": server.url, variable: ca})
    client = SentryClient(config.sentry_url, config.token, ca_bundle=config.ca_bundle, max_attempts=1)
    try:
        assert client.get_json("issues", ISSUES) == [{"id": "1"}]
    finally:
        client.close()
    assert proxy.tunnels == [server.url.removeprefix("https://")]  # through the proxy, end to end encrypted
    assert [headers.get("Authorization") for _, headers in server.seen] == [f"Bearer {TOKEN}"]


def test_no_proxy_goes_direct(proxy, private_sentry, monkeypatch):
    server, ca = private_sentry
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = SentryClient(server.url, TOKEN, ca_bundle=ca, max_attempts=1)
    try:
        assert client.get_json("issues", ISSUES) == [{"id": "1"}]
    finally:
        client.close()
    assert proxy.tunnels == [] and len(server.seen) == 1


def test_a_proxy_password_never_reaches_an_error(monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the proxy is down
    monkeypatch.setenv("HTTPS_PROXY", f"http://corp:s3cret-proxy-pw@127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = SentryClient("https://sentry.example.invalid", TOKEN, max_attempts=1)
    with pytest.raises(SentryError) as caught:
        client.get_json("issues", ISSUES)
    client.close()
    assert "ProxyError" in str(caught.value) and "s3cret-proxy-pw" not in str(caught.value)


def test_netrc_credentials_never_replace_the_token(private_sentry, tmp_path, monkeypatch):
    """requests with trust_env reads ~/.netrc and sends its login as Basic auth instead of our Bearer."""
    server, ca = private_sentry
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password other-secret\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    client = SentryClient(server.url, TOKEN, ca_bundle=ca, max_attempts=1)
    try:
        client.get_json("issues", ISSUES)
    finally:
        client.close()
    assert [headers.get("Authorization") for _, headers in server.seen] == [f"Bearer {TOKEN}"]


def test_a_ca_bundle_from_another_tools_variable_is_named_when_unreadable(tmp_path):
    with pytest.raises(ConfigError, match=r"^SSL_CERT_FILE: cannot read"):
        load_config({**BASE, "SSL_CERT_FILE": str(tmp_path / "missing.pem")})
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    mine = tmp_path / "mine.pem"
    mine.write_text("-----BEGIN CERTIFICATE-----\n")
    both = load_config({**BASE, "SENTRY_CA_BUNDLE": str(mine), "REQUESTS_CA_BUNDLE": str(bundle)})
    assert both.ca_bundle == str(mine)  # the exporter's own setting wins
