# Shared names, tags and the application environment every ECS task gets.
#
# The ICP_OPS_* values below are the same variables the CloudWatch alarms and
# Application Auto Scaling read, so the application's own alarm evaluator and
# autoscaler judge by exactly the numbers AWS does. Their defaults equal the
# application's OpsSettings defaults (checked by tests/unit/test_terraform.py).

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name = "${var.name}-${var.environment}"
  # For names AWS keeps short (load balancers and target groups: 32, bucket prefixes: 37).
  short  = "${trimsuffix(substr(var.name, 0, 10), "-")}-${trimsuffix(substr(var.environment, 0, 10), "-")}"
  region = data.aws_region.current.name
  tags = merge(var.tags, {
    Project     = "import-control-plane"
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # The namespace, dimension and metric names of the EMF line the workers print
  # (control_plane/integrations/metrics/emf.py).
  metric_namespace = "ImportControlPlane"
  metric_service   = "workers"

  ops_environment = [
    { name = "ICP_OPS_DEGRADED_AT", value = tostring(var.degraded_at) },
    { name = "ICP_OPS_CRITICAL_AT", value = tostring(var.critical_at) },
    { name = "ICP_OPS_OVERLOAD_AT", value = tostring(var.overload_at) },
    { name = "ICP_OPS_SUCCESS_RATE_FLOOR", value = tostring(var.success_rate_floor) },
    { name = "ICP_OPS_MIN_WORKERS", value = tostring(var.min_workers) },
    { name = "ICP_OPS_PROVIDER_ERROR_CEILING", value = tostring(var.provider_error_ceiling) },
    { name = "ICP_OPS_JOBS_PER_WORKER", value = tostring(var.jobs_per_worker) },
    { name = "ICP_OPS_AUTOSCALE_MIN", value = tostring(var.autoscale_min) },
    { name = "ICP_OPS_AUTOSCALE_MAX", value = tostring(var.autoscale_max) },
    { name = "ICP_OPS_SCALE_IN_COOLDOWN_S", value = tostring(var.scale_in_cooldown_s) },
    { name = "ICP_OPS_EMF_ENABLED", value = "true" },
  ]

  # Every deployment of this module is a real one: the API and workers refuse to start
  # while a secret below still holds its public development default.
  app_environment = [
    { name = "ICP_ENVIRONMENT", value = "production" },
  ]

  dependency_environment = [
    { name = "ICP_DB_HOST", value = aws_db_instance.this.address },
    { name = "ICP_DB_PORT", value = tostring(aws_db_instance.this.port) },
    { name = "ICP_DB_NAME", value = var.db_name },
    { name = "ICP_DB_USER", value = var.db_username },
    { name = "ICP_REDIS_HOST", value = aws_elasticache_replication_group.queue.primary_endpoint_address },
    { name = "ICP_REDIS_PORT", value = "6379" },
    { name = "ICP_REDIS_TLS", value = "true" },
    { name = "ICP_S3_ENDPOINT_URL", value = "" },
    { name = "ICP_S3_USE_DEFAULT_CREDENTIALS", value = "true" },
    { name = "ICP_S3_REGION", value = local.region },
    { name = "ICP_S3_BUCKET", value = aws_s3_bucket.images.id },
  ]

  app_secrets = [
    { name = "ICP_DB_PASSWORD", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::" },
    { name = "ICP_REDIS_PASSWORD", valueFrom = aws_secretsmanager_secret.redis_auth.arn },
    { name = "ICP_AUTH_JWT_SECRET", valueFrom = "${aws_secretsmanager_secret.app.arn}:jwt_secret::" },
    { name = "ICP_AUTH_API_KEY_PEPPER", valueFrom = "${aws_secretsmanager_secret.app.arn}:api_key_pepper::" },
    { name = "ICP_PROVIDER_SECRETS_KEY", valueFrom = "${aws_secretsmanager_secret.app.arn}:provider_secrets_key::" },
  ]
}
