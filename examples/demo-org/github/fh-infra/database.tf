# Records database for care-api: patient charts, appointments, intake answers
# and lab results. Only care-api connects to it.
resource "aws_db_subnet_group" "records" {
  name       = "records-private"
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "records_db" {
  name   = "records-db"
  vpc_id = var.vpc_id

  ingress {
    description     = "Postgres from the care namespace nodes"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [var.eks_care_nodes_sg_id]
  }
}

resource "aws_db_instance" "records" {
  identifier     = "fernhollow-records-prod"
  engine         = "postgres"
  engine_version = "15.8"
  instance_class = "db.r6g.large"

  allocated_storage     = 200
  max_allocated_storage = 500

  # Restored from the legacy instance's final snapshot (2021), which was never
  # encrypted. Encryption can't be enabled in place; re-encrypt and restore is
  # INFRA-377.
  snapshot_identifier = "records-legacy-final-2021-06"
  storage_encrypted   = false

  db_subnet_group_name   = aws_db_subnet_group.records.name
  vpc_security_group_ids = [aws_security_group.records_db.id]
  publicly_accessible    = false
  multi_az               = true

  manage_master_user_password         = true
  iam_database_authentication_enabled = true

  backup_retention_period         = 14
  deletion_protection             = true
  enabled_cloudwatch_logs_exports = ["postgresql"]
  performance_insights_enabled    = true

  tags = {
    system              = "care-api"
    data_classification = "phi"
  }
}
