# Workers scale 2–50 on the application's own backlog signal: (waiting + running
# jobs) per running worker task, target jobs_per_worker (10) — the same arithmetic
# as the app's autoscaler (ceil(backlog / jobs_per_worker)). CPU 70% is the backup.
# Out fast (60 s cooldown), in only after scale_in_cooldown_s (5 min).

resource "aws_appautoscaling_target" "workers" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.workers.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscale_min
  max_capacity       = var.autoscale_max
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "workers_backlog" {
  name               = "${local.name}-backlog-per-worker"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.workers.service_namespace
  resource_id        = aws_appautoscaling_target.workers.resource_id
  scalable_dimension = aws_appautoscaling_target.workers.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.jobs_per_worker
    scale_in_cooldown  = var.scale_in_cooldown_s
    scale_out_cooldown = var.scale_out_cooldown_s

    customized_metric_specification {
      metrics {
        id          = "waiting"
        return_data = false
        metric_stat {
          stat = "Maximum"
          metric {
            namespace   = local.metric_namespace
            metric_name = "QueueWaiting"
            dimensions {
              name  = "Service"
              value = local.metric_service
            }
          }
        }
      }

      metrics {
        id          = "running"
        return_data = false
        metric_stat {
          stat = "Maximum"
          metric {
            namespace   = local.metric_namespace
            metric_name = "JobsRunning"
            dimensions {
              name  = "Service"
              value = local.metric_service
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.workers.name
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_worker"
        label       = "Waiting plus running jobs per worker task"
        expression  = "(waiting + running) / tasks"
        return_data = true
      }
    }
  }
}

resource "aws_appautoscaling_policy" "workers_cpu" {
  name               = "${local.name}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.workers.service_namespace
  resource_id        = aws_appautoscaling_target.workers.resource_id
  scalable_dimension = aws_appautoscaling_target.workers.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker_cpu_target_percent
    scale_in_cooldown  = var.scale_in_cooldown_s
    scale_out_cooldown = var.scale_out_cooldown_s

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
