# Quickstart: a small data platform on Kingsoft Cloud KMR (managed Hadoop).
#
# With no `endpoint` in the provider block, the KMR provider starts (or reuses) the embedded
# sandbox cloud under `.corral/sandbox/`, so this applies with nothing else installed.
# Sandbox time runs at one sandbox minute per real second unless CORRAL_SANDBOX_TIME_SCALE
# says otherwise (`1`: real time; `600`: ten sandbox minutes per real second), so the
# cluster's eight minutes of creation take about eight seconds.

terraform {
  required_version = ">= 0.1"
}

provider "kmr" {
  region = "cn-beijing-6"
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
  type        = number
  default     = 3
  description = "Core nodes of the warehouse cluster (HDFS DataNodes)"
}

variable "office_cidrs" {
  type        = list(string)
  default     = ["10.10.0.0/16", "10.20.0.0/16"]
  description = "The offices' network segments (Beijing, Shanghai)"
}

locals {
  name_prefix = "corral-${var.environment}"
}

resource "kmr_vpc" "main" {
  name       = "${local.name_prefix}-vpc"
  cidr_block = "172.16.0.0/16"
}

resource "kmr_subnet" "hadoop" {
  vpc_id     = kmr_vpc.main.id
  name       = "${local.name_prefix}-hadoop"
  cidr_block = "172.16.1.0/24"
}

# A persistent cluster: HDFS, Hive and Spark, always on.
resource "kmr_cluster" "warehouse" {
  name      = "${local.name_prefix}-warehouse"
  type      = "persistent"
  version   = "5.3.0"
  services  = ["hive", "spark"]
  vpc_id    = kmr_vpc.main.id
  subnet_id = kmr_subnet.hadoop.id

  master_instance_type = "S6.4XLARGE32"
  core_instance_type   = "S6.4XLARGE32"
  core_count           = var.core_nodes
  task_instance_type   = "S6.2XLARGE16"
  task_count           = 0

  eip     = true
  log_uri = "ks3://corral-${var.environment}-logs/warehouse"

  lifecycle {
    precondition {
      condition     = var.core_nodes >= 2
      error_message = "A persistent cluster needs at least two core nodes for HDFS replication."
    }
  }
}

# KMR puts every cluster in its VPC's default security group `KSCKMR`, which the service
# makes with the first cluster: read it (after the cluster exists), never manage it.
data "kmr_security_group" "ksckmr" {
  vpc_id     = kmr_vpc.main.id
  name       = "KSCKMR"
  depends_on = [kmr_cluster.warehouse]
}

# Other hosts reach the cluster through inbound rules on KSCKMR. One rule lists the
# network segments it admits; each is an entry of the group, added or revoked in place.
resource "kmr_security_group_rule" "ssh" {
  security_group_id = data.kmr_security_group.ksckmr.id
  direction         = "ingress"
  protocol          = "tcp"
  port_from         = 22
  port_to           = 22
  cidrs             = var.office_cidrs
  description       = "SSH from the offices"
}

# Every night at 02:00 Beijing time: a transient cluster runs the pipeline's jobs and
# releases itself.
module "nightly" {
  source = "./modules/pipeline"

  name      = "${local.name_prefix}-nightly"
  vpc_id    = kmr_vpc.main.id
  subnet_id = kmr_subnet.hadoop.id
  log_uri   = "ks3://corral-${var.environment}-logs/nightly"
  schedule  = "0 2 * * *"
}

output "cluster_id" {
  value       = kmr_cluster.warehouse.id
  description = "The warehouse cluster's id"
}

output "master_ip" {
  value = kmr_cluster.warehouse.public_ip
}

output "pipeline" {
  value = module.nightly.summary
}
