# Security groups: each service may reach only what it needs.
#
#   clients ─443─▶ alb ─8000─▶ api ─┬─5432─▶ postgres
#                     └─8501─▶ dashboard   ├─6379─▶ redis
#                                 workers ─┘  (+ 443/80 out: providers, S3, AWS APIs)

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Load balancer: HTTPS from the allowed networks"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the API tasks"
  referenced_security_group_id = aws_security_group.api.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_vpc_security_group_egress_rule" "alb_to_dashboard" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the dashboard tasks"
  referenced_security_group_id = aws_security_group.dashboard.id
  ip_protocol                  = "tcp"
  from_port                    = 8501
  to_port                      = 8501
}

resource "aws_security_group" "api" {
  name        = "${local.name}-api"
  description = "API tasks: HTTP from the load balancer and the dashboard"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_vpc_security_group_ingress_rule" "api_from_dashboard" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the dashboard (it reads only the API)"
  referenced_security_group_id = aws_security_group.dashboard.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_security_group" "workers" {
  name        = "${local.name}-workers"
  description = "Workers: no inbound traffic at all"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_security_group" "dashboard" {
  name        = "${local.name}-dashboard"
  description = "Dashboard tasks: HTTP from the load balancer"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "dashboard_from_alb" {
  security_group_id            = aws_security_group.dashboard.id
  description                  = "From the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8501
  to_port                      = 8501
}

resource "aws_vpc_security_group_egress_rule" "dashboard_to_api" {
  security_group_id            = aws_security_group.dashboard.id
  description                  = "To the API"
  referenced_security_group_id = aws_security_group.api.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_security_group" "redis" {
  name        = "${local.name}-redis"
  description = "ElastiCache: Redis from the API and the workers"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_security_group" "postgres" {
  name        = "${local.name}-postgres"
  description = "RDS: PostgreSQL from the API and the workers"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

locals {
  # The API and the workers both talk to PostgreSQL and Redis.
  data_clients = {
    api     = aws_security_group.api.id
    workers = aws_security_group.workers.id
  }
  # Every task pulls its image, reads secrets and writes logs over HTTPS; the
  # workers also call providers and fetch product images (HTTP or HTTPS).
  egress_web = {
    api_https       = { sg = aws_security_group.api.id, port = 443 }
    dashboard_https = { sg = aws_security_group.dashboard.id, port = 443 }
    workers_https   = { sg = aws_security_group.workers.id, port = 443 }
    workers_http    = { sg = aws_security_group.workers.id, port = 80 }
  }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each                     = local.data_clients
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each                     = local.data_clients
  security_group_id            = aws_security_group.postgres.id
  description                  = "PostgreSQL from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "to_redis" {
  for_each                     = local.data_clients
  security_group_id            = each.value
  description                  = "To Redis"
  referenced_security_group_id = aws_security_group.redis.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_egress_rule" "to_postgres" {
  for_each                     = local.data_clients
  security_group_id            = each.value
  description                  = "To PostgreSQL"
  referenced_security_group_id = aws_security_group.postgres.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "web" {
  for_each          = local.egress_web
  security_group_id = each.value.sg
  description       = "Outbound ${each.value.port}: AWS APIs, image registry, providers"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}
