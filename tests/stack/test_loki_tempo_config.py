"""Loki and Tempo refuse to start on an unknown key: check their configs against the keys
documented for the pinned versions (../shared/schemas/loki-tempo-config-notes.md)."""

from __future__ import annotations

import re

from keyschema import ANY, unknown_keys
from stackfiles import LOKI_CONFIG, ROOT, TEMPO_CONFIG, dockerfile_instructions, host_port, load_yaml, service_for_host

LOKI_IMAGE, TEMPO_IMAGE = "grafana/loki:3.7.6", "grafana/tempo:2.10.8"

LOKI_TOP = set("""target auth_enabled ballast_bytes server ui distributor querier query_engine query_scheduler
frontend query_range ruler ruler_storage ingester_client ingester pattern_ingester index_gateway bloom_build
bloom_gateway storage_config chunk_store_config schema_config compactor compactor_grpc_client limits_config
frontend_worker table_manager memberlist kafka_config dataobj ingest_limits ingest_limits_frontend
ingest_limits_frontend_client runtime_config operational_config tracing analytics profiling
tenant_limits_allow_publish common shutdown_delay metrics_namespace""".split())


def keys(words: str) -> dict:
    return {w: None for w in words.split()}


LOKI = {
    "auth_enabled": None,
    "server": keys("http_listen_port grpc_listen_port http_listen_address grpc_listen_address log_level log_format"),
    "common": keys("instance_addr path_prefix replication_factor compactor_address compactor_grpc_address")
    | {"storage": {"filesystem": keys("chunks_directory rules_directory")},
       "ring": {"kvstore": keys("store")}},
    "schema_config": {"configs": [keys("from store object_store schema row_shards")
                                  | {"index": keys("prefix period path_prefix tags"),
                                     "chunks": keys("prefix period tags")}]},
    "storage_config": {"filesystem": keys("directory"),
                       "tsdb_shipper": keys("active_index_directory cache_location cache_ttl resync_interval "
                                            "query_ready_num_days")},
    "limits_config": keys("retention_period reject_old_samples reject_old_samples_max_age allow_structured_metadata "
                          "volume_enabled max_query_lookback query_timeout split_queries_by_interval deletion_mode "
                          "ingestion_rate_mb ingestion_burst_size_mb discover_service_name discover_log_levels "
                          "metric_aggregation_enabled enable_multi_variant_queries"),
    "compactor": keys("working_directory compaction_interval retention_enabled retention_delete_delay "
                      "retention_delete_worker_count delete_request_store delete_request_store_key_prefix "
                      "apply_retention_interval"),
    "query_range": {"results_cache": {"cache": {"embedded_cache": keys("enabled max_size_mb")}}},
    "ruler": keys("alertmanager_url rule_path enable_api"),
    "pattern_ingester": keys("enabled"),
    "analytics": keys("reporting_enabled"),
}

TEMPO_TOP = set("""target auth_enabled multitenancy_enabled shutdown_delay stream_over_http_enabled http_api_prefix
enable_go_runtime_metrics partition_ring_live_store server internal_server distributor ingester_client
metrics_generator_client live_store_client querier query_frontend compactor ingester metrics_generator ingest
block_builder storage overrides memberlist usage_report cache backend_scheduler backend_scheduler_client
backend_worker live_store""".split())
ENDPOINT = {"endpoint": None}
TEMPO = {
    "stream_over_http_enabled": None,
    "shutdown_delay": None,
    "server": keys("http_listen_port grpc_listen_port log_level"),
    # receivers pass through to the OpenTelemetry Collector receivers
    "distributor": {"receivers": {"otlp": {"protocols": {"grpc": ENDPOINT, "http": ENDPOINT}},
                                  "jaeger": ANY, "zipkin": ANY, "kafka": ANY}},
    "ingester": keys("max_block_duration trace_idle_period flush_check_period complete_block_timeout"),
    "compactor": {"compaction": keys("block_retention")},
    "metrics_generator": {
        "registry": keys("collection_interval stale_duration max_label_name_length max_label_value_length")
        | {"external_labels": ANY},
        "storage": {"path": None, "remote_write": [keys("url send_exemplars")]},
        "traces_storage": keys("path"),
        "processor": ANY,
    },
    "storage": {"trace": {"backend": None, "wal": keys("path"), "local": keys("path"),
                          "block": ANY, "pool": ANY, "search": ANY, "cache": ANY}},
    "overrides": {"defaults": {"metrics_generator": keys("processors generate_native_histograms")}},
    "usage_report": keys("reporting_enabled"),
}
PROCESSORS = {"span-metrics", "service-graphs", "local-blocks", "host-info"}


def image_of(dockerfile: str) -> str:
    return next(a for w, a in dockerfile_instructions(ROOT / dockerfile) if w == "FROM").split()[0]


def duration_hours(text: str) -> float:
    return sum(float(n) * {"h": 1, "d": 24, "w": 168, "m": 1 / 60}[u] for n, u in re.findall(r"(\d+)([hdwm])", text))


def test_images_are_the_versions_the_key_lists_were_read_from():
    assert image_of("provisioning/loki/Dockerfile") == LOKI_IMAGE
    assert image_of("provisioning/tempo/Dockerfile") == TEMPO_IMAGE


def test_loki_config_uses_only_documented_keys():
    config = load_yaml(LOKI_CONFIG)
    assert set(config) <= LOKI_TOP
    assert unknown_keys(config, LOKI) == []


def test_loki_retention_is_on_and_valid():
    config = load_yaml(LOKI_CONFIG)
    compactor, limits = config["compactor"], config["limits_config"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"] == "filesystem"  # Loki 3 refuses retention without it
    (period,) = config["schema_config"]["configs"]
    assert period["store"] == "tsdb" and period["schema"] == "v13"  # structured metadata needs both
    assert period["index"]["period"] == "24h"
    hours = duration_hours(limits["retention_period"])
    assert hours >= 24 * 7 and hours % 24 == 0  # a multiple of the index period
    assert config["auth_enabled"] is False
    assert config["common"]["path_prefix"] == "/loki"  # the named volume's mount point
    # The healthcheck, `loki -health`, asks http://localhost:3100/ready whatever the config says.
    assert config["server"]["http_listen_port"] == 3100 and "http_listen_address" not in config["server"]


def test_tempo_config_uses_only_documented_keys():
    config = load_yaml(TEMPO_CONFIG)
    assert set(config) <= TEMPO_TOP
    assert unknown_keys(config, TEMPO) == []
    assert set(config["overrides"]["defaults"]["metrics_generator"]["processors"]) <= PROCESSORS


def test_tempo_receives_otlp_on_all_interfaces_and_writes_metrics_to_prometheus():
    config = load_yaml(TEMPO_CONFIG)
    protocols = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "[::]:4317"  # IPv4 and IPv6; the default is localhost
    assert protocols["http"]["endpoint"] == "[::]:4318"
    (remote,) = config["metrics_generator"]["storage"]["remote_write"]
    host, port = host_port(remote["url"])
    assert service_for_host(host) == "prometheus" and port == 9090 and remote["url"].endswith("/api/v1/write")
    assert remote["send_exemplars"] is True
    assert {"service-graphs", "span-metrics"} <= set(config["overrides"]["defaults"]["metrics_generator"]["processors"])
    assert duration_hours(config["compactor"]["compaction"]["block_retention"]) >= 24
    assert config["storage"]["trace"]["backend"] == "local"
    assert all(config["storage"]["trace"][k]["path"].startswith("/var/tempo/") for k in ("wal", "local"))


def test_the_checker_itself_reports_misspelled_and_misplaced_keys():
    spec = {"a": {"b": None}, "items": [{"name": None}], "free": ANY}
    assert unknown_keys({"a": {"b": 1}, "items": [{"name": "x"}], "free": {"z": 1}}, spec) == []
    assert unknown_keys({"a": {"c": 1}, "items": [{"nmae": "x"}], "x": 1}, spec) == [
        "a.c: not a documented key", "items[0].nmae: not a documented key", "x: not a documented key"]
