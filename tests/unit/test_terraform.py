"""The Terraform module's key properties, read from the HCL itself.

Alarm thresholds and autoscaling numbers are checked against the application's
own defaults (OpsSettings) and metric names against the EMF line the workers
print, so the deployment and the application cannot drift apart silently.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from control_plane.domain.alarms import ALARM_NAMES, AlarmThresholds, evaluate
from control_plane.domain.ops import OpsFigures
from control_plane.integrations.metrics.emf import NAMESPACE, emf_figures
from control_plane.services.alarms import OpsEvaluator
from control_plane.settings import DeploymentSettings, OpsSettings, RedisSettings, S3Settings, load_settings
from control_plane.settings.deployment import development_secrets

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULE = TERRAFORM / "modules" / "product-import"

OPS_VARIABLES = (
    "degraded_at",
    "critical_at",
    "overload_at",
    "success_rate_floor",
    "min_workers",
    "provider_error_ceiling",
    "jobs_per_worker",
    "autoscale_min",
    "autoscale_max",
    "scale_in_cooldown_s",
)
"""Module variables named exactly as the OpsSettings fields they mirror."""


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals' quotes and block labels quoted; drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


@cache
def parsed(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        result: dict[str, Any] = hcl2.load(handle)
    return result


def module_blocks(kind: str) -> Iterator[dict[str, Any]]:
    for path in sorted(MODULE.glob("*.tf")):
        yield from parsed(path).get(kind, [])


@cache
def resources() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in module_blocks("resource"):
        for rtype, named in block.items():
            for name, body in named.items():
                found[(unquote(rtype), unquote(name))] = body
    return found


def resource(rtype: str, name: str) -> dict[str, Any]:
    return resources()[(rtype, name)]


@cache
def variables() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for block in module_blocks("variable"):
        for name, body in block.items():
            defaults[unquote(name)] = unquote(body.get("default"))
    return defaults


@cache
def locals_() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in module_blocks("locals"):
        merged.update({k: v for k, v in block.items() if not k.startswith("__")})
    return merged


def var_ref(expression: Any) -> str:
    """The variable an attribute is bound to (``${var.name}``), or fail."""
    match = re.fullmatch(r"\$\{var\.(\w+)\}", str(expression))
    assert match, f"expected a plain variable reference, got {expression!r}"
    return match.group(1)


def resolved(expression: Any) -> Any:
    """A literal as is; a plain ``${var.x}`` as that variable's default."""
    if isinstance(expression, str) and expression.startswith("${var."):
        return variables()[var_ref(expression)]
    return unquote(expression)


def only(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(blocks) == 1, blocks
    return blocks[0]


def test_every_tf_file_parses() -> None:
    files = tf_files()
    assert len(files) >= 15
    for path in files:
        assert isinstance(parsed(path), dict), path


def test_ops_variables_default_to_the_applications_defaults() -> None:
    app = OpsSettings.model_fields
    for name in OPS_VARIABLES:
        assert variables()[name] == app[name].default, name
    assert (variables()["autoscale_min"], variables()["autoscale_max"]) == (2, 50)
    assert (variables()["jobs_per_worker"], variables()["scale_in_cooldown_s"]) == (10, 300)


def test_tasks_get_the_same_ops_numbers_as_the_alarms() -> None:
    env = {unquote(item["name"]): item["value"] for item in locals_()["ops_environment"]}
    for name in OPS_VARIABLES:
        assert env[f"ICP_OPS_{name.upper()}"] == f"${{tostring(var.{name})}}", name
    assert unquote(env["ICP_OPS_EMF_ENABLED"]) == "true"


def test_tasks_speak_tls_to_redis_and_use_the_task_role_for_s3() -> None:
    env = {unquote(item["name"]): unquote(item["value"]) for item in locals_()["dependency_environment"]}
    redis = RedisSettings.model_validate({"tls": env["ICP_REDIS_TLS"]})
    s3 = S3Settings.model_validate(
        {"endpoint_url": env["ICP_S3_ENDPOINT_URL"], "use_default_credentials": env["ICP_S3_USE_DEFAULT_CREDENTIALS"]}
    )
    assert redis.tls is True
    assert s3.endpoint_url is None and s3.use_default_credentials is True


def test_redis_is_one_primary_two_replicas_multi_az_with_failover_and_encryption() -> None:
    group = resource("aws_elasticache_replication_group", "queue")
    assert unquote(group["engine"]) == "redis" and unquote(group["engine_version"]).startswith("7")
    assert group["num_cache_clusters"] == "${1 + var.redis_replicas}" and variables()["redis_replicas"] == 2
    assert group["automatic_failover_enabled"] is True and group["multi_az_enabled"] is True
    assert group["at_rest_encryption_enabled"] is True and group["transit_encryption_enabled"] is True
    assert "auth_token" in group and resolved(group["snapshot_retention_limit"]) >= 1
    assert group["parameter_group_name"] == "${aws_elasticache_parameter_group.queue.name}"
    parameter_group = resource("aws_elasticache_parameter_group", "queue")
    params = {unquote(p["name"]): unquote(p["value"]) for p in parameter_group["parameter"]}
    assert params["maxmemory-policy"] == "noeviction"


def test_postgres_is_multi_az_encrypted_private_and_backed_up() -> None:
    db = resource("aws_db_instance", "this")
    assert db["multi_az"] is True and db["storage_encrypted"] is True
    assert db["publicly_accessible"] is False and db["manage_master_user_password"] is True
    assert resolved(db["backup_retention_period"]) >= 7 and resolved(db["deletion_protection"]) is True


def test_image_bucket_is_private_versioned_encrypted_with_lifecycle() -> None:
    for bucket in ("images", "lb_logs"):
        block = resource("aws_s3_bucket_public_access_block", bucket)
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        assert all(block[flag] is True for flag in flags), bucket
        assert block["bucket"] == f"${{aws_s3_bucket.{bucket}.id}}"
    versioning = only(resource("aws_s3_bucket_versioning", "images")["versioning_configuration"])
    assert unquote(versioning["status"]) == "Enabled"
    sse = only(resource("aws_s3_bucket_server_side_encryption_configuration", "images")["rule"])
    assert unquote(only(sse["apply_server_side_encryption_by_default"])["sse_algorithm"]) == "aws:kms"
    assert resource("aws_s3_bucket_lifecycle_configuration", "images")["rule"]


def worker_container() -> dict[str, Any]:
    container: dict[str, Any] = locals_()["worker_specific"]
    return container


def test_worker_task_is_two_vcpu_four_gb_with_a_sixty_second_stop_timeout() -> None:
    task = resource("aws_ecs_task_definition", "worker")
    assert resolved(task["cpu"]) == 2048 and resolved(task["memory"]) == 4096
    assert task["container_definitions"] == "${jsonencode([local.worker_container])}"
    assert locals_()["worker_container"] == "${merge(local.common_container, local.worker_specific)}"
    assert resolved(worker_container()["stopTimeout"]) == 60
    assert worker_container()["command"][2:] == ['"workers"', '"workers.main.WorkerSettings"']  # HCL strings


def backlog_policy() -> dict[str, Any]:
    policy = resource("aws_appautoscaling_policy", "workers_backlog")
    return only(policy["target_tracking_scaling_policy_configuration"])


def test_workers_autoscale_two_to_fifty_on_backlog_per_worker_and_cpu() -> None:
    target = resource("aws_appautoscaling_target", "workers")
    assert resolved(target["min_capacity"]) == OpsSettings().autoscale_min == 2
    assert resolved(target["max_capacity"]) == OpsSettings().autoscale_max == 50
    backlog = backlog_policy()
    assert resolved(backlog["target_value"]) == OpsSettings().jobs_per_worker == 10
    assert resolved(backlog["scale_in_cooldown"]) == OpsSettings().scale_in_cooldown_s == 300
    cpu = only(resource("aws_appautoscaling_policy", "workers_cpu")["target_tracking_scaling_policy_configuration"])
    assert resolved(cpu["target_value"]) == 70 and resolved(cpu["scale_in_cooldown"]) == 300
    assert unquote(only(cpu["predefined_metric_specification"])["predefined_metric_type"]) == (
        "ECSServiceAverageCPUUtilization"
    )


def emf_names() -> set[str]:
    return set(emf_figures(OpsFigures(oldest_waiting_age_s=1.0), desired_workers=1)) | {
        "SuccessRate",
        "ProviderErrorRatio",
    }


def test_metric_names_namespace_and_dimension_are_the_emf_lines() -> None:
    assert unquote(locals_()["metric_namespace"]) == NAMESPACE
    service = inspect.signature(OpsEvaluator.__init__).parameters["service"].default
    assert unquote(locals_()["metric_service"]) == service
    metrics = only(backlog_policy()["customized_metric_specification"])["metrics"]
    app_metrics = []
    for entry in metrics:
        for stat in entry.get("metric_stat", []):
            metric = only(stat["metric"])
            if metric["namespace"] == "${local.metric_namespace}":
                app_metrics.append(unquote(metric["metric_name"]))
                assert {unquote(d["name"]): d["value"] for d in metric["dimensions"]} == {
                    "Service": "${local.metric_service}"
                }
    assert set(app_metrics) == {"QueueWaiting", "JobsRunning"} <= emf_names()
    expression = next(e for e in metrics if e.get("return_data") is True)
    assert unquote(expression["expression"]) == "(waiting + running) / tasks"


def test_alarms_are_the_applications_rules_with_its_thresholds_and_severities() -> None:
    alarms = locals_()["app_alarms"]
    assert set(map(unquote, alarms)) == set(ALARM_NAMES)
    app = OpsSettings()
    limits = AlarmThresholds(app.overload_at, app.success_rate_floor, app.min_workers, app.provider_error_ceiling)
    severity = {check.name: check.severity.value for check in evaluate(OpsFigures(), limits)}
    threshold_var = {
        "queue-overload": ("overload_at", "GreaterThanThreshold"),
        "low-success-rate": ("success_rate_floor", "LessThanThreshold"),
        "low-worker-count": ("min_workers", "LessThanThreshold"),
        "provider-errors": ("provider_error_ceiling", "GreaterThanThreshold"),
    }
    for key, alarm in alarms.items():
        name = unquote(key)
        variable, comparison = threshold_var[name]
        assert var_ref(alarm["threshold"]) == variable
        assert resolved(alarm["threshold"]) == getattr(app, variable), name
        assert unquote(alarm["comparison"]) == comparison and unquote(alarm["severity"]) == severity[name]
        assert unquote(alarm["metric"]) in emf_names(), name
    assert resource("aws_cloudwatch_metric_alarm", "app")["namespace"] == "${local.metric_namespace}"


def test_every_terraform_alarm_links_a_runbook_that_exists() -> None:
    names = [unquote(k) for k in locals_()["app_alarms"]] + [unquote(k) for k in locals_()["infra_alarms"]]
    for kind in ("app", "infra"):
        description = unquote(resource("aws_cloudwatch_metric_alarm", kind)["alarm_description"])
        assert description.endswith("/runbooks/${each.key}.md"), description
    for name in names:
        assert (ROOT / "runbooks" / f"{name}.md").is_file(), name


def test_task_secrets_come_from_secrets_manager() -> None:
    for secret in locals_()["app_secrets"]:
        assert "aws_secretsmanager_secret" in secret["valueFrom"] or "master_user_secret" in secret["valueFrom"]
    names = {unquote(secret["name"]) for secret in locals_()["app_secrets"]}
    assert {"ICP_DB_PASSWORD", "ICP_REDIS_PASSWORD", "ICP_AUTH_JWT_SECRET"} <= names


def test_tasks_run_as_production_with_every_application_secret_from_secrets_manager() -> None:
    env = {unquote(item["name"]): unquote(item["value"]) for item in locals_()["app_environment"]}
    assert DeploymentSettings.model_validate({"environment": env["ICP_ENVIRONMENT"]}).environment == "production"
    assert "local.app_environment" in str(locals_()["base_environment"])
    names = {unquote(secret["name"]) for secret in locals_()["app_secrets"]}
    # The variables production refuses to leave at their development defaults all come from the secret.
    assert set(development_secrets(load_settings())) - {"ICP_AUTH_JWT_PREVIOUS_SECRETS"} <= names


def test_workers_accept_no_inbound_traffic() -> None:
    for (rtype, _), body in resources().items():
        if rtype == "aws_vpc_security_group_ingress_rule":
            assert body["security_group_id"] != "${aws_security_group.workers.id}"


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_checkov_skips_say_why(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "checkov:skip=" in line:
            assert re.search(r"#checkov:skip=CKV2?_AWS_\d+:\S.{10,}", line), line


def test_cloudwatch_dashboard_has_a_row_per_streamlit_page() -> None:
    app = ROOT / "dashboard" / "app.py"
    if not app.is_file():
        pytest.skip("no Streamlit dashboard yet")
    pages = re.findall(r'st\.Page\([^)]*title="([^"]+)"', app.read_text())
    assert pages
    headings = [
        unquote(widget["properties"]["markdown"]).split("\\n")[0]
        for widget in locals_()["dashboard_widgets"]
        if unquote(widget["type"]) == "text"
    ]
    for page in pages:
        assert f"## {page}" in headings, page
    metrics = {
        unquote(item[1])
        for widget in locals_()["dashboard_widgets"]
        if unquote(widget["type"]) == "metric"
        for item in widget["properties"]["metrics"]
        if item[0] == "${local.ns}"
    }
    assert metrics <= emf_names() and {"QueueDepth", "SuccessRate", "LiveWorkers", "ProviderErrorRatio"} <= metrics
