// Railway Infrastructure as Code for the Sentry observability bundle: every service, volume and
// variable of the project. Preview with `railway config plan`, apply with `railway config apply`
// (see docs/railway.md). The CLI runs this file with Node's type stripping, so it sticks to
// erasable TypeScript (tsconfig.json enforces that).
import { defineRailway, github, project, service, volume } from "railway/iac";
import type { BuildConfig, DeployConfig, RailwayContext, ServiceNode } from "railway/iac";

// The GitHub repository Railway builds from (your fork, as owner/name). Every image builds with the
// repository root as its context, the same Dockerfiles and provisioning/ files compose uses.
const GITHUB_REPO = "your-github-org/sentry-observability";
const BRANCH = "main";

// The port each service serves. PORT is set to it on every service because Railway runs its
// deploy healthcheck against $PORT, and the exporter listens on $PORT when EXPORTER_PORT is unset.
const PORTS = {
  exporter: 8971,
  prometheus: 9090,
  grafana: 3000,
  loki: 3100,
  tempo: 3200,
  alertmanager: 9093,
} as const;
const TEMPO_OTLP_HTTP_PORT = 4318;

// Crashes restart; a service that keeps crashing stops instead of looping forever.
const RESTART: DeployConfig = { restartPolicyType: "ON_FAILURE", restartPolicyMaxRetries: 10 };

// Memory caps in MiB, the same as docker-compose.yml's mem_limit defaults (docs/stack.md says why
// these sizes and how to raise them).
const MEMORY_MIB = {
  exporter: 256,
  prometheus: 1024,
  grafana: 512,
  loki: 1024,
  tempo: 1024,
  alertmanager: 256,
} as const;

function deploy(name: keyof typeof MEMORY_MIB, extra: DeployConfig = {}): DeployConfig {
  return { ...RESTART, limitOverride: { containers: { memoryBytes: MEMORY_MIB[name] * 1024 * 1024 } }, ...extra };
}

// Railway mounts volumes owned by root while these images run as non-root users (Grafana 472,
// Prometheus and Alertmanager nobody, Loki and Tempo 10001). Railway's documented fix is this service variable,
// which runs the container's main process as root. Loki and Tempo images have no shell, so a
// chown-then-drop-privileges entrypoint is not an option.
const RUN_AS_ROOT = { RAILWAY_RUN_UID: "0" } as const;

const source = github(GITHUB_REPO, { branch: BRANCH });

// watchPatterns keep a push that only touches one service's files from redeploying the others.
function dockerfile(path: string, watchPatterns: string[]): BuildConfig {
  return { builder: "DOCKERFILE", dockerfilePath: path, watchPatterns };
}

// An http URL on the private network, written as a Railway reference (`${{svc.RAILWAY_PRIVATE_DOMAIN}}`,
// i.e. svc.railway.internal) instead of a hard-coded host. The typed `svc.env.X` reference can only
// stand for a whole value, so URLs with a scheme and port use the template syntax it compiles to.
function privateUrl(target: ServiceNode, port: number): string {
  return `http://\${{${target.name}.RAILWAY_PRIVATE_DOMAIN}}:${port}`;
}

// The one public endpoint. Railway service domains are global, so the name carries the project id.
function grafanaDomain(ctx: RailwayContext): string {
  const env = (ctx.environment ?? "production").toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 40);
  const unique = (ctx.projectId ?? ctx.randomString("grafana-domain", 4)).slice(0, 8);
  return `grafana-${env}-${unique}.up.railway.app`;
}

export default defineRailway((ctx) => {
  const lokiData = volume("loki-data");
  const loki = service("loki", {
    source,
    build: dockerfile("provisioning/loki/Dockerfile", ["/provisioning/loki/**"]),
    deploy: deploy("loki"),
    healthcheck: "/ready",
    healthcheckTimeout: 180, // /ready answers 503 until the ingester has joined its ring
    volumeMounts: { "/loki": lokiData },
    env: { PORT: String(PORTS.loki), ...RUN_AS_ROOT },
  });

  const tempoData = volume("tempo-data");
  const tempo = service("tempo", {
    source,
    build: dockerfile("provisioning/tempo/Dockerfile", ["/provisioning/tempo/**"]),
    // SIGTERM to SIGKILL: Tempo's shutdown_delay (35 s, tempo.yaml: grafana/tempo#7967) plus its stop.
    deploy: deploy("tempo", { drainingSeconds: 60 }),
    healthcheck: "/ready",
    healthcheckTimeout: 180, // like Loki, ready only after its ring settles
    volumeMounts: { "/var/tempo": tempoData },
    env: { PORT: String(PORTS.tempo), ...RUN_AS_ROOT },
  });

  // The volume keeps silences and the notification log across redeploys.
  const alertmanagerData = volume("alertmanager-data");
  const alertmanager = service("alertmanager", {
    source,
    build: dockerfile("provisioning/alertmanager/Dockerfile", ["/provisioning/alertmanager/**"]),
    deploy: deploy("alertmanager"),
    healthcheck: "/-/ready",
    healthcheckTimeout: 60,
    volumeMounts: { "/alertmanager": alertmanagerData },
    env: { PORT: String(PORTS.alertmanager), ...RUN_AS_ROOT },
  });

  // Private only. /metrics can still require a bearer token: set the shared variable
  // EXPORTER_BEARER_TOKEN and both the exporter and Prometheus (which scrapes with it) pick it up.
  const exporter = service("exporter", {
    source,
    build: dockerfile("exporter/Dockerfile", ["/exporter/**"]),
    deploy: deploy("exporter"),
    // /healthz, not /readyz: a Sentry outage must not block a deploy; sentry_up reports it instead.
    healthcheck: "/healthz",
    healthcheckTimeout: 60,
    env: {
      PORT: String(PORTS.exporter),
      SENTRY_URL: ctx.shared.SENTRY_URL,
      SENTRY_ORG: ctx.shared.SENTRY_ORG,
      SENTRY_AUTH_TOKEN: ctx.shared.SENTRY_AUTH_TOKEN,
      EXPORTER_BEARER_TOKEN: ctx.shared.EXPORTER_BEARER_TOKEN,
      // The P0 page needs both shared variables, e.g. SENTRY_IMPACT_TAGS=workspace_id and
      // SENTRY_ISSUE_LABEL_TAGS=release_stage; unset, it cannot fire and the impact dashboard says so.
      SENTRY_IMPACT_TAGS: ctx.shared.SENTRY_IMPACT_TAGS,
      SENTRY_ISSUE_LABEL_TAGS: ctx.shared.SENTRY_ISSUE_LABEL_TAGS,
      LOG_FORMAT: "json",
      LOKI_URL: privateUrl(loki, PORTS.loki),
      // Set explicitly: it also wins over the endpoint Railway injects when its own tracing is on.
      OTEL_EXPORTER_OTLP_ENDPOINT: privateUrl(tempo, TEMPO_OTLP_HTTP_PORT),
    },
  });

  const prometheusData = volume("prometheus-data");
  const prometheus = service("prometheus", {
    source,
    build: dockerfile("provisioning/prometheus/Dockerfile", ["/provisioning/prometheus/**"]),
    deploy: deploy("prometheus"),
    healthcheck: "/-/ready",
    healthcheckTimeout: 300, // replaying a large WAL after a restart takes minutes
    volumeMounts: { "/prometheus": prometheusData },
    // Its entrypoint writes the token to the file the scrape config reads.
    env: {
      PORT: String(PORTS.prometheus),
      ...RUN_AS_ROOT,
      EXPORTER_BEARER_TOKEN: ctx.shared.EXPORTER_BEARER_TOKEN,
    },
  });

  const grafanaData = volume("grafana-data");
  const grafana = service("grafana", {
    source,
    build: dockerfile("provisioning/grafana/Dockerfile", ["/provisioning/grafana/**", "/dashboards/**"]),
    deploy: deploy("grafana"),
    healthcheck: "/api/health",
    healthcheckTimeout: 120, // the first start on an empty volume runs all database migrations
    volumeMounts: { "/var/lib/grafana": grafanaData },
    networking: { serviceDomains: { [grafanaDomain(ctx)]: { port: PORTS.grafana } } },
    env: {
      PORT: String(PORTS.grafana),
      ...RUN_AS_ROOT,
      GF_SERVER_ROOT_URL: "https://${{RAILWAY_PUBLIC_DOMAIN}}",
      // The image's entrypoint refuses to start a public Grafana on an unset, empty or `admin`
      // password, and applies this one at every start (the variable is the source of truth).
      GRAFANA_PUBLIC: "true",
      GF_SECURITY_ADMIN_PASSWORD: ctx.shared.GF_SECURITY_ADMIN_PASSWORD,
      GF_SECURITY_COOKIE_SECURE: "true",
      GF_AUTH_ANONYMOUS_ENABLED: "false",
      GF_USERS_ALLOW_SIGN_UP: "false",
      // The Sentry datasource calls Sentry with the same token as the exporter (same rate limit).
      SENTRY_URL: ctx.shared.SENTRY_URL,
      SENTRY_ORG: ctx.shared.SENTRY_ORG,
      SENTRY_AUTH_TOKEN: ctx.shared.SENTRY_AUTH_TOKEN,
      PROMETHEUS_URL: privateUrl(prometheus, PORTS.prometheus),
      LOKI_URL: privateUrl(loki, PORTS.loki),
      TEMPO_URL: privateUrl(tempo, PORTS.tempo),
      ALERTMANAGER_URL: privateUrl(alertmanager, PORTS.alertmanager),
    },
  });

  return project("sentry-observability", {
    resources: [
      exporter, prometheus, grafana, loki, tempo, alertmanager,
      prometheusData, grafanaData, lokiData, tempoData, alertmanagerData,
    ],
  });
});
