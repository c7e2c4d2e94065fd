"""Run the real exporter exactly as a rendered Deployment configures its container.

The kubelet's part is played here: the mounted Secret and ConfigMap items are written as files
under a scratch root, and env entries that point into a mount are pointed into that root. The
rest of the environment, the command and the arguments are the rendered ones.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

from helmchart import ROOT, container, one
from stackfiles import dockerfile_instructions
from tools import EXPORTER, stop_process, wait_for


def image_command() -> list[str]:
    """The image's CMD (exporter/Dockerfile), with the console script resolved to this venv's."""
    cmd = json.loads([a for w, a in dockerfile_instructions(ROOT / "exporter" / "Dockerfile") if w == "CMD"][-1])
    assert cmd[0] == "sentry-exporter", cmd
    return [EXPORTER, *cmd[1:]]


def _data(objects: list[dict], kind: str, name: str) -> dict[str, str]:
    obj = one(objects, kind, name)
    return obj.get("stringData") or obj.get("data") or {}


def secret_value(objects: list[dict], ref: dict) -> str:
    return _data(objects, "Secret", ref["name"])[ref["key"]]


def materialize(objects: list[dict], root: Path) -> dict[str, str]:
    """The container's environment, with every mounted file written under `root`."""
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    exporter = container(objects)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = [m["mountPath"] for m in exporter.get("volumeMounts", [])]
    for mount in exporter.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        kind, source = ("Secret", volume["secret"]) if "secret" in volume else ("ConfigMap", volume["configMap"])
        data = _data(objects, kind, source.get("secretName") or source.get("name"))
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            path = root / mount["mountPath"].lstrip("/") / item["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data[item["key"]], encoding="utf-8")
    env = {}
    for entry in exporter["env"]:
        if "value" in entry:
            value = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            data = _data(objects, "Secret", ref["name"])
            if ref["key"] not in data and ref.get("optional"):
                continue
            value = data[ref["key"]]
        if any(value.startswith(m + "/") for m in mounts):
            value = str(root) + value
        env[entry["name"]] = value
    return env


@dataclass
class Pod:
    """The exporter process of one rendered Deployment."""
    objects: list[dict]
    env: dict[str, str]
    proc: subprocess.Popen

    @classmethod
    def start(cls, objects: list[dict], root: Path, sentry_url: str) -> "Pod":
        env = {**materialize(objects, root), "SENTRY_URL": sentry_url}  # the one rewritten setting
        exporter = container(objects)
        command = exporter.get("command") or image_command()
        proc = subprocess.Popen([*command, *exporter.get("args", [])], env={"PATH": os.environ["PATH"], **env},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return cls(objects, env, proc)

    def port(self, name: str) -> int:
        return next(p["containerPort"] for p in container(self.objects)["ports"] if p["name"] == name)

    def probe(self, kind: str) -> requests.Response:
        """GET the path and port of the container's livenessProbe or readinessProbe."""
        http = container(self.objects)[kind]["httpGet"]
        port = http["port"] if isinstance(http["port"], int) else self.port(http["port"])
        return self.get(port, http["path"])

    def get(self, port: int, path: str, **kwargs) -> requests.Response:
        if self.proc.poll() is not None:
            raise AssertionError(f"exporter exited with {self.proc.returncode}: {self.proc.stderr.read()}")
        return requests.get(f"http://127.0.0.1:{port}{path}", timeout=5, **kwargs)

    def wait_ready(self, timeout: float = 60.0) -> "Pod":
        wait_for(lambda: self.probe("readinessProbe").status_code == 200, timeout, what="the readiness probe")
        return self

    def stop(self) -> str:
        out, err = stop_process(self.proc)
        return out + err
