variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "vpc_id" {
  description = "Existing VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in two or more availability zones."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "allowed_ingress_cidrs" {
  description = "Who may reach the load balancer on 443."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate for the API and dashboard host names."
  type        = string
}

variable "dashboard_host" {
  description = "Host name of the dashboard."
  type        = string
}

variable "waf_web_acl_arn" {
  description = "WAFv2 web ACL of the load balancer."
  type        = string
}

variable "container_image" {
  description = "Application image, pinned by digest."
  type        = string
}

variable "pagerduty_topic_arn" {
  description = "SNS topic integrated with PagerDuty (critical alarms)."
  type        = string
}

variable "slack_topic_arn" {
  description = "SNS topic forwarded to Slack (high and medium alarms)."
  type        = string
}
