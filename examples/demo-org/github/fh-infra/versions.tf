terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.82"
    }
  }

  backend "s3" {
    bucket         = "fernhollow-tf-state"
    key            = "prod/core.tfstate"
    region         = "us-east-2"
    dynamodb_table = "fernhollow-tf-locks"
    encrypt        = true
  }
}

provider "aws" {
  region              = "us-east-2"
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      environment = "prod"
      managed_by  = "terraform"
      repo        = "fh-infra"
    }
  }
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "eks_care_nodes_sg_id" {
  type        = string
  description = "Security group of the EKS nodes that run the care namespace"
}
