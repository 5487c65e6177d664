# staging: the product-import module in an existing VPC.
#   cp staging.tfvars.example staging.tfvars  # then fill in the real ids
#   terraform init && terraform plan -var-file=staging.tfvars

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0, < 7.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5.0, < 4.0.0"
    }
  }
}

provider "aws" {
  region = var.region
}

module "product_import" {
  source = "../../modules/product-import"

  environment           = "staging"
  vpc_id                = var.vpc_id
  private_subnet_ids    = var.private_subnet_ids
  public_subnet_ids     = var.public_subnet_ids
  allowed_ingress_cidrs = var.allowed_ingress_cidrs
  certificate_arn       = var.certificate_arn
  dashboard_host        = var.dashboard_host
  waf_web_acl_arn       = var.waf_web_acl_arn
  container_image       = var.container_image

  # Smaller and cheaper than production; same topology (Multi-AZ, 1 + 2 Redis nodes).
  redis_node_type    = "cache.t4g.medium"
  db_instance_class  = "db.t4g.medium"
  autoscale_max      = 10
  log_retention_days = 365
}
