# ---------------------------------------------------------------- placement

variable "name" {
  description = "Short name used as the prefix of every resource."
  type        = string
  default     = "import-control-plane"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name))
    error_message = "Lower-case letters, digits and hyphens, at most 20 (the Redis group id allows 40 in all)."
  }
}

variable "environment" {
  description = "Deployment environment (staging, production, ...); part of every name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.environment))
    error_message = "Lower-case letters, digits and hyphens, at most 12."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "VPC the services run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two availability zones: tasks, Redis, PostgreSQL."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Multi-AZ needs private subnets in at least two availability zones."
  }
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer (public for an internet-facing one)."
  type        = list(string)
}

variable "internal_load_balancer" {
  description = "Whether the load balancer is internal (reached over VPN/peering only)."
  type        = bool
  default     = false
}

variable "allowed_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer on 443."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener (API and dashboard host names)."
  type        = string
}

variable "dashboard_host" {
  description = "Host name routed to the Streamlit dashboard; every other host reaches the API."
  type        = string
}

variable "waf_web_acl_arn" {
  description = "WAFv2 web ACL associated with the load balancer."
  type        = string
}

variable "alarm_sns_topic_arns" {
  description = "Where alarms notify, by severity (critical → PagerDuty, high/medium → Slack, as REQ-DEPLOY-3 routes them)."
  type = object({
    critical = list(string)
    high     = list(string)
    medium   = list(string)
  })
  default = { critical = [], high = [], medium = [] }
}

variable "runbook_base_url" {
  description = "Where the repository's runbooks/ folder is browsable; alarm descriptions link <base>/runbooks/<alarm>.md."
  type        = string
  default     = "https://github.com/import-control-plane/import-control-plane/blob/main"
}

# ---------------------------------------------------------------- images

variable "container_image" {
  description = "The application image (API, workers and dashboard run the same image with different commands)."
  type        = string
}

variable "cpu_architecture" {
  description = "Task CPU architecture (X86_64, REQ-COST-1's pricing, or ARM64 for Graviton); the image must match."
  type        = string
  default     = "X86_64"
}

variable "api_desired_count" {
  description = "API tasks (behind the load balancer)."
  type        = number
  default     = 2
}

variable "dashboard_desired_count" {
  description = "Dashboard tasks."
  type        = number
  default     = 1
}

# ---------------------------------------------------------------- workers (REQ-WORKER-2/4: 2 vCPU / 4 GB, 60 s stop timeout)

variable "worker_cpu" {
  description = "Worker task CPU units (2048 = 2 vCPU)."
  type        = number
  default     = 2048
}

variable "worker_memory" {
  description = "Worker task memory in MiB (4096 = 4 GB)."
  type        = number
  default     = 4096
}

variable "worker_stop_timeout_s" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL; the worker drains within 30 s of it."
  type        = number
  default     = 60
}

variable "worker_concurrency" {
  description = "Jobs one worker runs at once (ICP_WORKER_CONCURRENCY; REQ-WORKER-2: 5)."
  type        = number
  default     = 5
}

# ---------------------------------------------------------------- operations (defaults = OpsSettings defaults)

variable "degraded_at" {
  description = "Queue depth from which the tier is Degraded (ICP_OPS_DEGRADED_AT)."
  type        = number
  default     = 1000
}

variable "critical_at" {
  description = "Queue depth from which the tier is Critical (ICP_OPS_CRITICAL_AT)."
  type        = number
  default     = 5000
}

variable "overload_at" {
  description = "Queue depth above which the tier is Overload and queue-overload fires (ICP_OPS_OVERLOAD_AT)."
  type        = number
  default     = 10000
}

variable "success_rate_floor" {
  description = "low-success-rate fires below this success rate over the last hour (ICP_OPS_SUCCESS_RATE_FLOOR)."
  type        = number
  default     = 0.9
}

variable "min_workers" {
  description = "low-worker-count fires below this many live workers (ICP_OPS_MIN_WORKERS)."
  type        = number
  default     = 2
}

variable "provider_error_ceiling" {
  description = "provider-errors fires above this provider error ratio over 5 minutes (ICP_OPS_PROVIDER_ERROR_CEILING)."
  type        = number
  default     = 0.1
}

variable "jobs_per_worker" {
  description = "Autoscaling target: queued plus running jobs per worker task (ICP_OPS_JOBS_PER_WORKER)."
  type        = number
  default     = 10
}

variable "autoscale_min" {
  description = "Fewest worker tasks (ICP_OPS_AUTOSCALE_MIN)."
  type        = number
  default     = 2
}

variable "autoscale_max" {
  description = "Most worker tasks (ICP_OPS_AUTOSCALE_MAX)."
  type        = number
  default     = 50
}

variable "scale_in_cooldown_s" {
  description = "Seconds after a scaling activity before scaling in (ICP_OPS_SCALE_IN_COOLDOWN_S)."
  type        = number
  default     = 300
}

variable "scale_out_cooldown_s" {
  description = "Seconds after a scale-out before another; short, so the fleet answers a burst within 2 minutes."
  type        = number
  default     = 60
}

variable "worker_cpu_target_percent" {
  description = "Backup target-tracking policy on the worker service's average CPU."
  type        = number
  default     = 70
}

variable "alarm_period_s" {
  description = "Period of the alarms' metric statistic; the application evaluates every 15 s."
  type        = number
  default     = 60
}

variable "alarm_evaluation_periods" {
  description = "Consecutive breaching periods before an application alarm fires."
  type        = number
  default     = 2
}

# ---------------------------------------------------------------- Redis (REQ-QUEUE-5: 1 primary + 2 replicas, Multi-AZ)

variable "redis_node_type" {
  description = "ElastiCache node type (REQ-QUEUE-5: cache.r7g.large, 13 GiB)."
  type        = string
  default     = "cache.r7g.large"
}

variable "redis_replicas" {
  description = "Read replicas besides the primary."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_replicas >= 1
    error_message = "Automatic failover needs at least one replica."
  }
}

variable "redis_snapshot_retention_days" {
  description = "Days of daily Redis snapshots kept."
  type        = number
  default     = 7
}

# ---------------------------------------------------------------- PostgreSQL

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.r6g.large"
}

variable "db_engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "db_allocated_storage_gb" {
  description = "Initial storage in GiB (grows automatically up to db_max_allocated_storage_gb)."
  type        = number
  default     = 100
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 500
}

variable "db_name" {
  description = "Database name (ICP_DB_NAME)."
  type        = string
  default     = "import_control_plane"
}

variable "db_username" {
  description = "Master user; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "icp"
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- storage and logs

variable "image_noncurrent_days" {
  description = "Days a replaced or deleted image version is kept before expiry."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the services' logs."
  type        = number
  default     = 365
}
