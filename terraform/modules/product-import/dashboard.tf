# One CloudWatch dashboard, one row per page of the Streamlit dashboard (Overview,
# Workers & scaling, Providers, Alarms & runbooks, SLOs, Jobs, Drills & load runs),
# drawn from the same EMF metrics and the workers' job log records.

locals {
  ns = local.metric_namespace
  sv = local.metric_service

  dashboard_widgets = [
    {
      type       = "text", x = 0, y = 0, width = 24, height = 2
      properties = { markdown = "## Overview\nQueue tiers: Healthy < ${var.degraded_at} ≤ Degraded < ${var.critical_at} ≤ Critical ≤ ${var.overload_at} < Overload. Live view and actions: the Streamlit dashboard (https://${var.dashboard_host})." }
    },
    {
      type = "metric", x = 0, y = 2, width = 12, height = 6
      properties = {
        title   = "Queue depth by state"
        region  = local.region
        stat    = "Maximum"
        period  = 60
        metrics = [[local.ns, "QueueDepth", "Service", local.sv], [local.ns, "QueueWaiting", "Service", local.sv], [local.ns, "JobsRunning", "Service", local.sv]]
        annotations = { horizontal = [
          { label = "Degraded", value = var.degraded_at },
          { label = "Critical", value = var.critical_at },
          { label = "Overload", value = var.overload_at },
        ] }
      }
    },
    {
      type = "metric", x = 12, y = 2, width = 6, height = 6
      properties = {
        title       = "Success rate (last hour)"
        region      = local.region
        stat        = "Minimum"
        period      = 60
        metrics     = [[local.ns, "SuccessRate", "Service", local.sv]]
        annotations = { horizontal = [{ label = "floor", value = var.success_rate_floor }] }
      }
    },
    {
      type = "metric", x = 18, y = 2, width = 6, height = 6
      properties = {
        title   = "Oldest waiting job (s) and dead jobs"
        region  = local.region
        stat    = "Maximum"
        period  = 60
        metrics = [[local.ns, "OldestWaitingAge", "Service", local.sv], [local.ns, "JobsFailedTotal", "Service", local.sv, { yAxis = "right" }]]
      }
    },
    {
      type       = "text", x = 0, y = 8, width = 24, height = 1
      properties = { markdown = "## Workers & scaling" }
    },
    {
      type = "metric", x = 0, y = 9, width = 12, height = 6
      properties = {
        title  = "Live vs desired workers vs ECS tasks"
        region = local.region
        period = 60
        metrics = [
          [local.ns, "LiveWorkers", "Service", local.sv, { stat = "Minimum" }],
          [local.ns, "DesiredWorkers", "Service", local.sv, { stat = "Maximum" }],
          ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", aws_ecs_cluster.this.name, "ServiceName", aws_ecs_service.workers.name, { stat = "Average" }],
        ]
        annotations = { horizontal = [{ label = "min workers", value = var.min_workers }] }
      }
    },
    {
      type = "metric", x = 12, y = 9, width = 12, height = 6
      properties = {
        title       = "Worker CPU and memory (%)"
        region      = local.region
        stat        = "Average"
        period      = 60
        metrics     = [["AWS/ECS", "CPUUtilization", "ClusterName", aws_ecs_cluster.this.name, "ServiceName", aws_ecs_service.workers.name], ["AWS/ECS", "MemoryUtilization", "ClusterName", aws_ecs_cluster.this.name, "ServiceName", aws_ecs_service.workers.name]]
        annotations = { horizontal = [{ label = "CPU target", value = var.worker_cpu_target_percent }] }
      }
    },
    {
      type       = "text", x = 0, y = 15, width = 24, height = 1
      properties = { markdown = "## Providers" }
    },
    {
      type = "metric", x = 0, y = 16, width = 24, height = 6
      properties = {
        title       = "Provider error ratio (5 min)"
        region      = local.region
        stat        = "Maximum"
        period      = 60
        metrics     = [[local.ns, "ProviderErrorRatio", "Service", local.sv]]
        annotations = { horizontal = [{ label = "ceiling", value = var.provider_error_ceiling }] }
      }
    },
    {
      type       = "text", x = 0, y = 29, width = 24, height = 1
      properties = { markdown = "## Jobs\nThe workers' job records (`job.completed` with the fields of REQ-OBS-2, `job.failed`, `job.retry_scheduled`, `job.deferred`, `job.handed_back`); timelines and actions are on the Streamlit Jobs page." }
    },
    {
      type = "log", x = 0, y = 30, width = 24, height = 6
      properties = {
        title  = "Recent job outcomes"
        region = local.region
        view   = "table"
        query  = "SOURCE '${aws_cloudwatch_log_group.service["workers"].name}' | fields @timestamp, event, jobId, duration, productsImported, imagesProcessed, errors, error | filter event like /^job\\.(completed|failed|retry_scheduled|deferred|handed_back)$/ | sort @timestamp desc | limit 50"
      }
    },
    {
      type       = "text", x = 0, y = 36, width = 24, height = 1
      properties = { markdown = "## Drills & load runs\nReports of `make chaos` / `make gameday` and the load harness live with the runs (`reports/`); the Streamlit page lists them with verdicts and charts." }
    },
    {
      type       = "text", x = 0, y = 22, width = 24, height = 1
      properties = { markdown = "## Alarms & runbooks\nEach alarm's description links its runbook (${var.runbook_base_url}/runbooks/README.md)." }
    },
    {
      type = "alarm", x = 0, y = 23, width = 24, height = 4
      properties = {
        title  = "Alarms"
        alarms = concat([for a in aws_cloudwatch_metric_alarm.app : a.arn], [for a in aws_cloudwatch_metric_alarm.infra : a.arn])
      }
    },
    {
      type       = "text", x = 0, y = 27, width = 24, height = 2
      properties = { markdown = "## SLOs\nComputed from PostgreSQL, not from metrics: `importctl slo verify --since 24h` in an API task (ECS Exec), or `GET /api/v1/ops/slo`; the Streamlit SLOs page shows the same verdicts." }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
