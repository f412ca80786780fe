# Quickstart: a small data platform described with Corral's built-in `corral` provider.
#
# Every object here is a `corral_data` record (Corral's equivalent of `terraform_data`):
# it stores its `input`, exposes it as `output`, and is replaced when `triggers_replace`
# changes. The cloud providers (KMR, Kyligence, MRS) plug into the same workflow.

terraform {
  required_version = ">= 0.1"
}

variable "environment" {
  type        = string
  default     = "dev"
  description = "Which environment this is: dev, staging or prod"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, staging or prod."
  }
}

variable "core_nodes" {
  type    = number
  default = 3
}

variable "office_cidrs" {
  type = map(string)
  default = {
    beijing  = "10.10.0.0/16"
    shanghai = "10.20.0.0/16"
  }
}

locals {
  name_prefix = "corral-${var.environment}"
  common_tags = {
    environment = var.environment
    managed_by  = "corral"
  }
}

resource "corral_data" "network" {
  input = {
    name       = "${local.name_prefix}-vpc"
    cidr_block = "172.16.0.0/16"
    tags       = local.common_tags
  }
}

resource "corral_data" "ssh_rule" {
  for_each = var.office_cidrs

  input = {
    vpc       = corral_data.network.output.name
    direction = "ingress"
    protocol  = "tcp"
    port      = 22
    cidr      = each.value
    note      = "SSH from the ${each.key} office"
  }
}

resource "corral_data" "cluster" {
  input = {
    name       = "${local.name_prefix}-hadoop"
    type       = "persistent"
    vpc        = corral_data.network.output.name
    core_nodes = var.core_nodes
    tags       = local.common_tags
  }

  # Changing the cluster's network means building a new cluster.
  triggers_replace = corral_data.network.id

  lifecycle {
    precondition {
      condition     = var.core_nodes >= 2
      error_message = "A persistent cluster needs at least two core nodes for HDFS replication."
    }
  }
}

module "nightly" {
  source = "./modules/pipeline"

  name       = "${local.name_prefix}-nightly"
  cluster_id = corral_data.cluster.id
  schedule   = "0 2 * * *"
}

output "cluster_id" {
  value       = corral_data.cluster.id
  description = "The cluster's ID"
}

output "pipeline" {
  value = module.nightly.summary
}
