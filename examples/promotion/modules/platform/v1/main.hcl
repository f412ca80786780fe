# The data platform every environment runs: a VPC, a persistent KMR cluster (HDFS, Hive,
# Spark) and SSH from the offices on the cluster's KSCKMR security group. Environments call a
# version of it (`modules/platform/v1`, `v2`, ...): a new version is a new directory, first
# called from envs/dev, then promoted (`corral promote dev staging`).

variable "environment" {
  type = string
}

variable "core_nodes" {
  type        = number
  description = "Core nodes of the warehouse cluster (HDFS DataNodes)"
}

variable "office_cidrs" {
  type = list(string)
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

  log_uri = "ks3://corral-${var.environment}-logs/warehouse"
}

data "kmr_security_group" "ksckmr" {
  vpc_id     = kmr_vpc.main.id
  name       = "KSCKMR"
  depends_on = [kmr_cluster.warehouse]
}

resource "kmr_security_group_rule" "ssh" {
  security_group_id = data.kmr_security_group.ksckmr.id
  direction         = "ingress"
  protocol          = "tcp"
  port_from         = 22
  port_to           = 22
  cidrs             = var.office_cidrs
  description       = "SSH from the offices"
}

output "cluster_id" {
  value = kmr_cluster.warehouse.id
}
