output "load_balancer_dns_name" {
  description = "Alias the API and dashboard host names to this."
  value       = module.product_import.load_balancer_dns_name
}

output "app_secret_arn" {
  description = "Put the application's keys here before the first deploy."
  value       = module.product_import.app_secret_arn
}

output "alarm_topic_arns" {
  description = "SNS topics by severity."
  value       = module.product_import.alarm_topic_arns
}
