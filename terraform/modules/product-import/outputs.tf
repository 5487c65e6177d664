output "load_balancer_dns_name" {
  description = "Point the API and dashboard host names (CNAME/alias) here."
  value       = aws_lb.this.dns_name
}

output "cluster_name" {
  description = "ECS cluster of the api, workers and dashboard services."
  value       = aws_ecs_cluster.this.name
}

output "redis_primary_endpoint" {
  description = "Primary endpoint of the replication group (follows failover)."
  value       = aws_elasticache_replication_group.queue.primary_endpoint_address
}

output "db_address" {
  description = "PostgreSQL endpoint (follows Multi-AZ failover)."
  value       = aws_db_instance.this.address
}

output "images_bucket" {
  description = "Bucket of product images and thumbnails."
  value       = aws_s3_bucket.images.id
}

output "app_secret_arn" {
  description = "Put {jwt_secret, api_key_pepper, provider_secrets_key} here before the first deploy."
  value       = aws_secretsmanager_secret.app.arn
}

output "dashboard_secret_arn" {
  description = "Put the dashboard's operator API key here (importctl tenants create-key)."
  value       = aws_secretsmanager_secret.dashboard.arn
}

output "migrations_task_definition" {
  description = "Run once per deploy before updating the services (aws ecs run-task)."
  value       = aws_ecs_task_definition.migrations.arn
}

output "alarm_topic_arns" {
  description = "SNS topics by severity; subscribe PagerDuty to critical, Slack to high and medium."
  value       = { for k, t in aws_sns_topic.alarms : k => t.arn }
}

output "worker_security_group_id" {
  description = "Security group for one-off tasks that need PostgreSQL and Redis (migrations)."
  value       = aws_security_group.workers.id
}
