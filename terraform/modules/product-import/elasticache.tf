# The volatile queue (arq): 1 primary + 2 replicas across availability zones with
# automatic failover (REQ-MTTR-1: < 60 s). PostgreSQL stays the authority, so a lost
# write here is re-enqueued by the reconciler; AOF-like durability comes from
# replication plus daily snapshots. noeviction: arq's keys must never be evicted.

resource "aws_elasticache_subnet_group" "queue" {
  name       = "${local.name}-redis"
  subnet_ids = var.private_subnet_ids
  tags       = local.tags
}

resource "aws_elasticache_parameter_group" "queue" {
  name        = "${local.name}-redis7"
  family      = "redis7"
  description = "Queue semantics: never evict keys; notice dead clients"
  tags        = local.tags

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  parameter {
    name  = "tcp-keepalive"
    value = "60"
  }
}

resource "random_password" "redis_auth" {
  length  = 64
  special = false
}

resource "aws_elasticache_replication_group" "queue" {
  replication_group_id       = "${local.name}-queue"
  description                = "Import job queue (arq), rate limits, breakers, ops state"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  port                       = 6379
  num_cache_clusters         = 1 + var.redis_replicas
  automatic_failover_enabled = true
  multi_az_enabled           = true
  parameter_group_name       = aws_elasticache_parameter_group.queue.name
  subnet_group_name          = aws_elasticache_subnet_group.queue.name
  security_group_ids         = [aws_security_group.redis.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.this.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result
  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "03:00-04:00"
  maintenance_window         = "sun:05:00-sun:06:00"
  auto_minor_version_upgrade = true
  apply_immediately          = false
  tags                       = local.tags

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis_slow.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}
