# The application's alarm rules (control_plane/domain/alarms.py) as CloudWatch
# alarms on the EMF metrics the workers print: same names, same thresholds (the
# ICP_OPS_* variables the tasks also get), same severities and runbooks.

locals {
  metric_dimensions = { Service = local.metric_service }

  app_alarms = {
    "queue-overload" = {
      metric     = "QueueDepth"
      statistic  = "Maximum"
      comparison = "GreaterThanThreshold"
      threshold  = var.overload_at
      severity   = "critical"
      missing    = "notBreaching"
      summary    = "Queue depth (waiting + delayed) above overload_at: new imports get 503."
    }
    "low-success-rate" = {
      metric     = "SuccessRate"
      statistic  = "Minimum"
      comparison = "LessThanThreshold"
      threshold  = var.success_rate_floor
      severity   = "high"
      missing    = "notBreaching"
      summary    = "Success rate over the last hour below success_rate_floor."
    }
    "low-worker-count" = {
      metric     = "LiveWorkers"
      statistic  = "Minimum"
      comparison = "LessThanThreshold"
      threshold  = var.min_workers
      severity   = "high"
      missing    = "breaching"
      summary    = "Fewer live (heartbeating) workers than min_workers; no data means no worker is evaluating at all."
    }
    "provider-errors" = {
      metric     = "ProviderErrorRatio"
      statistic  = "Maximum"
      comparison = "GreaterThanThreshold"
      threshold  = var.provider_error_ceiling
      severity   = "medium"
      missing    = "notBreaching"
      summary    = "Provider error ratio over 5 minutes above provider_error_ceiling."
    }
  }

  # Infrastructure alarms: what the application cannot see of itself.
  infra_alarms = {
    "redis-memory" = {
      namespace  = "AWS/ElastiCache"
      metric     = "DatabaseMemoryUsagePercentage"
      dimensions = { CacheClusterId = tolist(aws_elasticache_replication_group.queue.member_clusters)[0] }
      statistic  = "Maximum"
      comparison = "GreaterThanThreshold"
      threshold  = 80
      severity   = "high"
      missing    = "notBreaching"
      summary    = "Redis memory above 80% on the first node of the group: with noeviction, writes fail when it is full."
    }
    "database-outage" = {
      namespace  = "AWS/RDS"
      metric     = "CPUUtilization"
      dimensions = { DBInstanceIdentifier = aws_db_instance.this.identifier }
      statistic  = "Average"
      comparison = "GreaterThanThreshold"
      threshold  = 90
      severity   = "high"
      missing    = "breaching"
      summary    = "PostgreSQL CPU above 90% (or no data: the instance is not reporting)."
    }
    "worker-oom" = {
      namespace  = "AWS/ECS"
      metric     = "MemoryUtilization"
      dimensions = { ClusterName = aws_ecs_cluster.this.name, ServiceName = aws_ecs_service.workers.name }
      statistic  = "Maximum"
      comparison = "GreaterThanThreshold"
      threshold  = 90
      severity   = "medium"
      missing    = "notBreaching"
      summary    = "The busiest worker task uses more than 90% of its memory limit: OOM kills follow."
    }
    "orphaned-jobs" = {
      namespace  = local.metric_namespace
      metric     = "OldestWaitingAge"
      dimensions = local.metric_dimensions
      statistic  = "Maximum"
      comparison = "GreaterThanThreshold"
      threshold  = 600
      severity   = "high"
      missing    = "notBreaching"
      summary    = "A job has waited more than 10 minutes (SLO no-orphaned-jobs)."
    }
  }
}

resource "aws_sns_topic" "alarms" {
  for_each          = toset(["critical", "high", "medium"])
  name              = "${local.name}-alarms-${each.key}"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_cloudwatch_metric_alarm" "app" {
  for_each            = local.app_alarms
  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = "[${each.value.severity}] ${each.value.summary} Runbook: ${var.runbook_base_url}/runbooks/${each.key}.md"
  namespace           = local.metric_namespace
  metric_name         = each.value.metric
  dimensions          = local.metric_dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_s
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = concat([aws_sns_topic.alarms[each.value.severity].arn], var.alarm_sns_topic_arns[each.value.severity])
  ok_actions          = concat([aws_sns_topic.alarms[each.value.severity].arn], var.alarm_sns_topic_arns[each.value.severity])
  tags                = merge(local.tags, { Severity = each.value.severity, Runbook = "runbooks/${each.key}.md" })
}

resource "aws_cloudwatch_metric_alarm" "infra" {
  for_each            = local.infra_alarms
  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = "[${each.value.severity}] ${each.value.summary} Runbook: ${var.runbook_base_url}/runbooks/${each.key}.md"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_s
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = concat([aws_sns_topic.alarms[each.value.severity].arn], var.alarm_sns_topic_arns[each.value.severity])
  ok_actions          = concat([aws_sns_topic.alarms[each.value.severity].arn], var.alarm_sns_topic_arns[each.value.severity])
  tags                = merge(local.tags, { Severity = each.value.severity, Runbook = "runbooks/${each.key}.md" })
}
