"""The shipped Prometheus config and image, checked with Debian's Prometheus 2.42 tools; the
image pins v3.5, and the config keeps to syntax both accept."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from promconfig import image_flags, localize, write
from stackfiles import PROMETHEUS_DIR, compose, host_port, prometheus_config, service_for_host
from tools import require_tool

ENTRYPOINT = PROMETHEUS_DIR / "entrypoint.sh"


def test_promtool_accepts_the_shipped_config_and_its_rule_files(tmp_path):
    promtool = require_tool("promtool")
    config = write(localize(prometheus_config(), tmp_path), tmp_path / "prometheus.yml")
    result = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: [1-9]\d* rule files found", result.stdout + result.stderr)


def test_scrape_jobs_watch_the_exporter_and_the_stack_itself():
    jobs = {job["job_name"]: job for job in prometheus_config()["scrape_configs"]}
    assert set(jobs) == {"sentry-exporter", "prometheus", "grafana", "loki", "tempo", "alertmanager"}
    for name, job in jobs.items():
        (static,) = job["static_configs"]
        (target,) = static["targets"]
        host, port = host_port(target)
        expected = {"sentry-exporter": "exporter"}.get(name, name)
        assert host == "localhost" if name == "prometheus" else service_for_host(host) == expected, target
        assert port == {"exporter": 8971, "prometheus": 9090, "grafana": 3000, "loki": 3100, "tempo": 3200,
                        "alertmanager": 9093}[expected]
    assert prometheus_config()["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    (alerting,) = prometheus_config()["alerting"]["alertmanagers"]
    host, port = host_port(alerting["static_configs"][0]["targets"][0])
    assert service_for_host(host) == "alertmanager" and port == 9093


def test_instance_labels_read_as_short_service_names():
    """Prometheus anchors relabel regexes: check the shipped one does the same fully-anchored match."""
    for job in prometheus_config()["scrape_configs"]:
        for target in job["static_configs"][0]["targets"]:
            rules = job.get("relabel_configs") or []
            labels = {"__address__": target, "instance": target, **job["static_configs"][0].get("labels", {})}
            for rule in rules:
                source = ";".join(labels.get(l, "") for l in rule["source_labels"])
                match = re.fullmatch(rule["regex"], source)
                if match:
                    labels[rule["target_label"]] = re.sub(r"\$(\d+)", lambda m: match.group(int(m.group(1))),
                                                          rule["replacement"])
            host, port = labels["instance"].split(":")
            assert "." not in host and host in compose()["services"], labels["instance"]


def test_remote_write_receiver_and_exemplars_are_on_in_the_image_and_in_compose():
    flags = image_flags()
    compose_flags = compose()["services"]["prometheus"]["command"]
    for flag in ("--web.enable-remote-write-receiver", "--enable-feature=exemplar-storage",
                 "--web.listen-address=[::]:9090", "--config.file=/etc/prometheus/prometheus.yml",
                 "--storage.tsdb.path=/prometheus"):
        assert flag in flags and flag in compose_flags, flag
    retention = [f for f in flags if f.startswith("--storage.tsdb.retention.time=")]
    assert retention == ["--storage.tsdb.retention.time=30d"]  # week-over-week needs >= 15d
    assert "--storage.tsdb.retention.time=${PROMETHEUS_RETENTION:-30d}" in compose_flags
    assert [f.split("=")[0] for f in flags] == [f.split("=")[0] for f in compose_flags]


def test_prometheus_2_42_knows_every_flag_the_image_passes():
    prometheus = require_tool("prometheus")
    result = subprocess.run([prometheus, *image_flags(), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # kingpin rejects an unknown flag before --help


def run_entrypoint(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    sh = require_tool("sh")
    return subprocess.run([sh, str(ENTRYPOINT), "sh", "-c", 'cat "$0"; echo; env',
                           str(tmp_path / "exporter-bearer-token")],
                          env={"PATH": os.environ["PATH"], "PROMETHEUS_SECRETS_DIR": str(tmp_path), **env},
                          capture_output=True, text=True)


def test_entrypoint_writes_the_scrape_token_privately_and_hides_it_from_prometheus(tmp_path):
    result = run_entrypoint(tmp_path, {"EXPORTER_BEARER_TOKEN": "s3cret-token"})
    assert result.returncode == 0, result.stderr
    content, _, env = result.stdout.partition("\n")
    assert content == "s3cret-token"
    assert "EXPORTER_BEARER_TOKEN" not in env  # the secret does not stay in Prometheus' environment
    assert (tmp_path / "exporter-bearer-token").stat().st_mode & 0o777 == 0o600


def test_entrypoint_without_a_token_keeps_a_mounted_file_or_creates_an_empty_one(tmp_path):
    result = run_entrypoint(tmp_path, {})
    assert result.returncode == 0 and result.stdout.startswith("\n")  # empty: no auth
    (tmp_path / "exporter-bearer-token").write_text("from-a-docker-secret")
    result = run_entrypoint(tmp_path, {})
    assert result.stdout.startswith("from-a-docker-secret\n")


def test_entrypoint_fails_loudly_when_it_cannot_write_the_token(tmp_path):
    result = run_entrypoint(tmp_path / "missing-dir", {"EXPORTER_BEARER_TOKEN": "x"})
    assert result.returncode != 0 and "env" not in result.stdout


def test_image_runs_the_tested_entrypoint_and_it_writes_the_file_the_scrape_job_reads():
    from stackfiles import dockerfile_instructions
    steps = dockerfile_instructions(PROMETHEUS_DIR / "Dockerfile")
    copies = dict(reversed([tuple(a.split()[-2:]) for w, a in steps if w == "COPY"]))
    entrypoint = json.loads([a for w, a in steps if w == "ENTRYPOINT"][-1])
    assert entrypoint == ["/bin/sh", copies["provisioning/prometheus/entrypoint.sh"], "/bin/prometheus"]
    (job,) = [j for j in prometheus_config()["scrape_configs"] if j["job_name"] == "sentry-exporter"]
    credentials = job["authorization"]["credentials_file"]
    default_dir = re.search(r"PROMETHEUS_SECRETS_DIR:-([^}]+)\}", ENTRYPOINT.read_text()).group(1)
    assert credentials == f"{default_dir}/exporter-bearer-token"
    run = " ".join(a for w, a in steps if w == "RUN")
    assert default_dir in run and "chown nobody" in run  # created writable for the nobody user
