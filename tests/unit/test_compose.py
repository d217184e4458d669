"""The production compose file and its Dockerfile, checked without a Docker
engine: it parses, names every service with a healthcheck, pins its images,
binds ports to loopback only, takes secrets from the environment, and wires
the files under deploy/ that it mounts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from drtroy_metrics.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = (
    "kafka",
    "clickhouse",
    "migrate",
    "collector",
    "aggregator",
    "dashboard",
    "prober",
    "grafana",
)
OUR_SERVICES = ("migrate", "collector", "aggregator", "dashboard", "prober")
SECRET = re.compile(r"PASSWORD|WRITE_KEYS|SALT")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_every_service_is_there_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in SERVICES:
        assert name in services, f"no service {name}"
    for name, svc in services.items():
        hc = svc.get("healthcheck")
        assert hc and not hc.get("disable") and hc.get("test"), f"{name} has no healthcheck"
        assert hc["test"][0] in ("CMD", "CMD-SHELL"), name


def test_images_are_pinned_and_ours_is_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        image = svc["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: image {image} is not pinned"
        if name in OUR_SERVICES:
            assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
            assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).exists()
        else:
            assert re.fullmatch(r"\d+(\.\d+){2,3}", tag), (
                f"{name}: {image} should name an exact release"
            )
    images = {n: s["image"] for n, s in compose["services"].items()}
    assert images["kafka"].startswith("apache/kafka:")
    assert images["clickhouse"].startswith("clickhouse/clickhouse-server:")
    assert images["grafana"].startswith("grafana/grafana:")


def test_ports_are_bound_to_loopback_only(compose: dict[str, Any]) -> None:
    published = {}
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
            published[name] = str(port)
    # the contract's ports
    assert published["collector"].endswith(":8000:8000")
    assert published["dashboard"].endswith(":8100:8100")
    assert published["clickhouse"].endswith(":8123:8123")
    assert published["grafana"].endswith(":3000:3000")


def test_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for key, value in _env(svc).items():
            if SECRET.search(key):
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", value), (
                    f"{name}.{key} must be ${{VAR:?...}}, not {value!r}"
                )
            if key == "CLICKHOUSE_DSN":
                assert re.search(r"://\w+:\$\{\w+:\?[^}]*\}@clickhouse:8123/drtroy$", value), (
                    f"{name}: {value}"
                )
    assert not re.search(
        r"(?i)password\s*[:=]\s*['\"]?[A-Za-z0-9]{6,}", COMPOSE.read_text().replace("PASSWORD:", "")
    )


def test_kafka_runs_kraft_with_one_broker_and_the_topics_are_created(
    compose: dict[str, Any],
) -> None:
    env = _env(compose["services"]["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "ZOOKEEPER" not in " ".join(env)
    topics = " ".join(compose["services"]["topics"]["command"])
    assert "drtroy.events" in topics and "drtroy.events.dlq" in topics
    from drtroy_metrics.names import DLQ_TOPIC, EVENTS_TOPIC

    assert {EVENTS_TOPIC, DLQ_TOPIC} == {"drtroy.events", "drtroy.events.dlq"}


def test_services_run_real_cli_commands_in_order(compose: dict[str, Any]) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)  # type: ignore[arg-type]
    services = compose["services"]
    for name in OUR_SERVICES:
        assert services[name]["command"][0] in commands, (
            f"{name}: '{services[name]['command'][0]}' is not a drtroy-metrics command"
        )
    assert services["migrate"]["command"] == ["migrate"]
    for name in ("aggregator", "dashboard", "grafana"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        ), name
    for name in ("collector", "dashboard"):
        assert "0.0.0.0" in services[name]["command"], (
            f"{name} must listen beyond the container's loopback"
        )


def test_clickhouse_users_and_grafana_provisioning_are_wired(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ch = services["clickhouse"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in ch["volumes"] if v.startswith("./")}
    users_xml = ROOT / mounts["/etc/clickhouse-server/users.d/drtroy.xml"]
    assert (ROOT / mounts["/etc/clickhouse-server/config.d/drtroy.xml"]).exists()
    assert (ROOT / mounts["/docker-entrypoint-initdb.d"] / "01_create_database.sql").exists()
    root = ET.parse(users_xml).getroot()
    # every password the XML reads from the environment is given to the server
    wanted = {p.get("from_env") for p in root.iter("password")}
    assert wanted and wanted <= set(_env(ch)), wanted - set(_env(ch))
    grafana_profile = root.findtext("users/grafana/profile")
    assert root.findtext(f"profiles/{grafana_profile}/readonly") == "1"
    assert root.findtext("users/grafana/grants/query") == "GRANT SELECT ON drtroy.*"

    gf = services["grafana"]
    env = _env(gf)
    assert "grafana-clickhouse-datasource" in env["GF_INSTALL_PLUGINS"]
    gmounts = {v.split(":")[1]: v.split(":")[0] for v in gf["volumes"] if v.startswith("./")}
    prov = ROOT / gmounts["/etc/grafana/provisioning"]
    ds = yaml.safe_load((prov / "datasources" / "clickhouse.yaml").read_text())["datasources"][0]
    assert ds["type"] == "grafana-clickhouse-datasource" and ds["jsonData"]["username"] == "grafana"
    # the ${VARS} the provisioning file reads are set on the Grafana container
    used = set(re.findall(r"\$\{(\w+)\}", (prov / "datasources" / "clickhouse.yaml").read_text()))
    assert used <= set(env), used - set(env)
    dash_dir = ROOT / gmounts["/var/lib/grafana/dashboards/drtroy"]
    provider = yaml.safe_load((prov / "dashboards" / "drtroy.yaml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/drtroy"
    assert len(list(dash_dir.glob("*.json"))) == 6


def test_dockerfile_builds_one_image_with_the_cli_as_entrypoint() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "pip install ." in text
    assert 'ENTRYPOINT ["drtroy-metrics"]' in text
    assert re.search(r"^USER \w+", text, re.M), "the services should not run as root"
    # what the Dockerfile copies exists
    for src in re.findall(r"^COPY (\S+)", text, re.M):
        assert (ROOT / src).exists(), src
