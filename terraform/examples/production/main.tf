# production: the product-import module in an existing VPC.
#   cp production.tfvars.example production.tfvars  # then fill in the real ids
#   terraform init && terraform plan -var-file=production.tfvars

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

  environment           = "production"
  vpc_id                = var.vpc_id
  private_subnet_ids    = var.private_subnet_ids
  public_subnet_ids     = var.public_subnet_ids
  allowed_ingress_cidrs = var.allowed_ingress_cidrs
  certificate_arn       = var.certificate_arn
  dashboard_host        = var.dashboard_host
  waf_web_acl_arn       = var.waf_web_acl_arn
  container_image       = var.container_image

  # REQ-COST-1, REQ-WORKER-2/3: the production shape, 3 x cache.r7g.large, workers 2-50 at 2 vCPU / 4 GB.
  redis_node_type   = "cache.r7g.large"
  db_instance_class = "db.r6g.large"
  alarm_sns_topic_arns = {
    critical = [var.pagerduty_topic_arn]
    high     = [var.slack_topic_arn]
    medium   = [var.slack_topic_arn]
  }
}
