# ECS Fargate: one image, three services. Workers get 2 vCPU / 4 GB and a 60 s
# stop timeout (they stop taking jobs on SIGTERM, drain 25 s, hand the rest back
# and exit within 30 s). Logs go to CloudWatch Logs, where the workers' EMF lines
# become the ImportControlPlane metrics the alarms and autoscaling read.

resource "aws_ecs_cluster" "this" {
  name = local.name
  tags = local.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = toset(["api", "workers", "dashboard", "migrations"])
  name              = "/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# Service Connect gives the dashboard a private name for the API (http://api:8000),
# so it never leaves the VPC to read it.
resource "aws_service_discovery_http_namespace" "this" {
  name        = local.name
  description = "Service Connect namespace of ${local.name}"
  tags        = local.tags
}

resource "aws_cloudwatch_log_group" "redis_slow" {
  name              = "/${local.name}/redis-slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

locals {
  common_container = {
    image                  = var.container_image
    essential              = true
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    secrets                = local.app_secrets
  }

  base_environment = concat(local.app_environment, local.dependency_environment, local.ops_environment, [
    { name = "HOME", value = "/tmp" },
  ])

  api_container = merge(local.common_container, {
    name         = "api"
    command      = ["python", "-m", "control_plane.api.server", "--host", "0.0.0.0", "--port", "8000"]
    portMappings = [{ name = "api", containerPort = 8000, protocol = "tcp", appProtocol = "http" }]
    environment  = concat(local.base_environment, [{ name = "ICP_API_HOST", value = "0.0.0.0" }])
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["api"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "api"
      }
    }
  })

  worker_container = merge(local.common_container, local.worker_specific)
  worker_specific = {
    name        = "worker"
    command     = ["python", "-m", "workers", "workers.main.WorkerSettings"]
    stopTimeout = var.worker_stop_timeout_s
    environment = concat(local.base_environment, [
      { name = "ICP_WORKER_CONCURRENCY", value = tostring(var.worker_concurrency) },
    ])
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["workers"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "worker"
      }
    }
  }

  dashboard_container = merge(local.common_container, {
    name         = "dashboard"
    command      = ["python", "-m", "streamlit", "run", "dashboard/app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
    portMappings = [{ containerPort = 8501, protocol = "tcp" }]
    environment = [
      { name = "HOME", value = "/tmp" },
      { name = "ICP_DASHBOARD_API_URL", value = "http://api:8000" },
    ]
    secrets = [{ name = "ICP_DASHBOARD_API_KEY", valueFrom = aws_secretsmanager_secret.dashboard.arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["dashboard"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "dashboard"
      }
    }
  })

  # A one-off task (`aws ecs run-task`) that upgrades the schema before a deploy.
  migrations_container = merge(local.common_container, {
    name        = "migrations"
    command     = ["importctl", "db", "upgrade"]
    environment = local.base_environment
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service["migrations"].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "migrations"
      }
    }
  })
}

resource "aws_ecs_task_definition" "api" {
  family                   = "${local.name}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.api.arn
  container_definitions    = jsonencode([local.api_container])
  tags                     = local.tags

  volume {
    name = "tmp"
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${local.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.workers.arn
  container_definitions    = jsonencode([local.worker_container])
  tags                     = local.tags

  volume {
    name = "tmp"
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}

resource "aws_ecs_task_definition" "dashboard" {
  family                   = "${local.name}-dashboard"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.dashboard.arn
  container_definitions    = jsonencode([local.dashboard_container])
  tags                     = local.tags

  volume {
    name = "tmp"
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}

resource "aws_ecs_task_definition" "migrations" {
  family                   = "${local.name}-migrations"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.workers.arn
  container_definitions    = jsonencode([local.migrations_container])
  tags                     = local.tags

  volume {
    name = "tmp"
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}

resource "aws_ecs_service" "api" {
  name                   = "api"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.api.arn
  desired_count          = var.api_desired_count
  launch_type            = "FARGATE"
  enable_execute_command = true
  propagate_tags         = "SERVICE"
  tags                   = local.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.api.id]
    assign_public_ip = false
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn
    service {
      port_name = "api"
      client_alias {
        dns_name = "api"
        port     = 8000
      }
    }
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = 8000
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_ecs_service" "workers" {
  name            = "workers"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.worker.arn
  desired_count   = var.autoscale_min
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"
  tags            = local.tags

  # Start replacements before stopping old tasks: a deploy never drops below the floor.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.workers.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Application Auto Scaling owns the count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_ecs_service" "dashboard" {
  name            = "dashboard"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.dashboard.arn
  desired_count   = var.dashboard_desired_count
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"
  tags            = local.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.dashboard.id]
    assign_public_ip = false
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.dashboard.arn
    container_name   = "dashboard"
    container_port   = 8501
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}
