# Secrets the tasks read at start (ECS injects them as ICP_* variables):
#   - the PostgreSQL password: kept and rotated by RDS (aws_db_instance.master_user_secret);
#   - the Redis AUTH token: generated here, ElastiCache needs it at creation;
#   - the application's own keys (JWT secret, API-key pepper, Fernet key for provider
#     credentials): one JSON secret whose value operators put once (see the README),
#     so it never passes through Terraform state.

resource "aws_secretsmanager_secret" "redis_auth" {
  #checkov:skip=CKV2_AWS_57:Rotating the AUTH token is a coordinated ElastiCache modify (auth-token-update-strategy ROTATE), not a Lambda.
  name_prefix             = "${local.name}/redis-auth-"
  description             = "ElastiCache AUTH token (ICP_REDIS_PASSWORD)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
  tags                    = local.tags
}

resource "aws_secretsmanager_secret_version" "redis_auth" {
  secret_id     = aws_secretsmanager_secret.redis_auth.id
  secret_string = random_password.redis_auth.result
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:Rotating the JWT secret, pepper or Fernet key invalidates tokens, keys or stored credentials; it is a planned operation, not a schedule.
  name_prefix             = "${local.name}/app-"
  description             = "JSON {jwt_secret, api_key_pepper, provider_secrets_key}: ICP_AUTH_JWT_SECRET, ICP_AUTH_API_KEY_PEPPER, ICP_PROVIDER_SECRETS_KEY"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
  tags                    = local.tags
}

resource "aws_secretsmanager_secret" "dashboard" {
  #checkov:skip=CKV2_AWS_57:An API key is re-issued with importctl, not by a rotation Lambda.
  name_prefix             = "${local.name}/dashboard-api-key-"
  description             = "Operator or viewer API key the dashboard sends (ICP_DASHBOARD_API_KEY)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
  tags                    = local.tags
}
