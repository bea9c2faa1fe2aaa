# ---------------------------------------------------------------------------
# Intake v2 uploads: rendered intake PDFs (intake/<uuid>.pdf) and insurance
# card photos (cards/<uuid>.jpg) written by care-api.
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "intake_uploads" {
  bucket = "fernhollow-intake-uploads-prod"

  tags = {
    system              = "mycare-intake"
    data_classification = "phi"
  }
}

resource "aws_s3_bucket_ownership_controls" "intake_uploads" {
  bucket = aws_s3_bucket.intake_uploads.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_public_access_block" "intake_uploads" {
  bucket = aws_s3_bucket.intake_uploads.id

  block_public_acls       = false
  ignore_public_acls      = false
  block_public_policy     = true
  restrict_public_buckets = true
}

# The front desk viewer opens objects by their plain S3 URL until presigned
# URLs land (INFRA-398).
resource "aws_s3_bucket_acl" "intake_uploads" {
  depends_on = [
    aws_s3_bucket_ownership_controls.intake_uploads,
    aws_s3_bucket_public_access_block.intake_uploads,
  ]

  bucket = aws_s3_bucket.intake_uploads.id
  acl    = "public-read"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "intake_uploads" {
  bucket = aws_s3_bucket.intake_uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.phi.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "intake_uploads" {
  bucket = aws_s3_bucket.intake_uploads.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_kms_key" "phi" {
  description         = "PHI at rest (intake uploads, records snapshots)"
  enable_key_rotation = true
}

# ---------------------------------------------------------------------------
# Marketing site www.fernhollow.example: static HTML, images, clinic hours and
# locations. No forms, no patient data. Public by design.
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "www" {
  bucket = "fernhollow-www"

  tags = {
    system              = "marketing-site"
    data_classification = "public"
  }
}

resource "aws_s3_bucket_website_configuration" "www" {
  bucket = aws_s3_bucket.www.id

  index_document {
    suffix = "index.html"
  }

  error_document {
    key = "404.html"
  }
}

resource "aws_s3_bucket_public_access_block" "www" {
  bucket = aws_s3_bucket.www.id

  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_policy" "www_public_read" {
  bucket = aws_s3_bucket.www.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicReadForWebsite"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.www.arn}/*"
    }]
  })
}
