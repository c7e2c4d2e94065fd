"""The Kubernetes commands of docs/kubernetes.md, run through Helm's own --set parser and renderer: the image they
build is the one installed, the Secret they create is the one mounted, and every ServiceMonitor and
PrometheusRule carries the release label kube-prometheus-stack selects."""

from __future__ import annotations

import re
import shlex

from helmchart import ROOT, container, merge, one, render, require_module

KPS_RELEASE = "kube-prometheus-stack"


def readme_commands() -> list[list[str]]:
    """The shell commands of docs/kubernetes.md, `name="..."` variables expanded."""
    section = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    commands, variables = [], {}
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\$(\w+)", lambda m: variables[m[1]], line.split("   #")[0])
            words = shlex.split(line)
            if len(words) == 1 and re.fullmatch(r"\w+=.*", words[0]):
                name, value = words[0].split("=", 1)
                variables[name] = value
            elif words:
                commands.append(words)
    return commands


def helm_installs() -> list[tuple[str, str, dict]]:
    """(release, namespace, values) of every `helm install` in docs/kubernetes.md."""
    helm = require_module("helm_python")
    installs = []
    for words in (w for w in readme_commands() if w[:2] == ["helm", "install"]):
        assert words[3] == "./charts/sentry-exporter", words
        values, namespace = {}, "default"
        for flag, arg in zip(words[4:], words[5:]):
            if flag == "--set":
                values = merge(values, helm.parse_set_string(arg.replace("=...", "=registry.example.com/x")))
            elif flag == "-n":
                namespace = arg
        installs.append((words[2], namespace, values))
    return installs


def test_readme_installs_render_with_the_image_secret_and_release_labels_it_creates():
    commands = readme_commands()
    built = next(w[w.index("-t") + 1] for w in commands if w[:2] == ["docker", "build"])
    assert ["docker", "push", built] in commands
    secret = next(w for w in commands if w[:4] == ["kubectl", "-n", "monitoring", "create"])
    secret_name, secret_key = secret[6], secret[7].removeprefix("--from-literal=").split("=", 1)[0]
    installs = {release: (namespace, render(values, name=release, namespace=namespace))
                for release, namespace, values in helm_installs()}
    assert len(installs) == 3  # one release, then two shards
    for release, (namespace, objects) in installs.items():
        assert namespace == "monitoring", f"{release} installs outside the Secret's namespace"
        volumes = one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
        items = next(v["secret"]["items"] for v in volumes if v.get("secret", {}).get("secretName") == secret_name)
        assert {"key": secret_key, "path": secret_key} in items
        assert container(objects)["image"].startswith("registry.example.com/")
        assert one(objects, "ServiceMonitor")["metadata"]["labels"].get("release") == KPS_RELEASE, release
        for rule in (o for o in objects if o["kind"] == "PrometheusRule"):
            assert rule["metadata"]["labels"].get("release") == KPS_RELEASE, release
    shards = [objects for _, objects in list(installs.values())[1:]]
    assert sum("PrometheusRule" in {o["kind"] for o in objects} for objects in shards) == 1
    assert sum(any("grafana_dashboard" in o["metadata"]["labels"] for o in objects) for objects in shards) == 1
    _, first = next(iter(installs.values()))
    assert container(first)["image"] == built
    waited = next(w for w in commands if w[:4] == ["kubectl", "-n", "monitoring", "rollout"])
    assert waited[-1] == f"deploy/{one(first, 'Deployment')['metadata']['name']}"
