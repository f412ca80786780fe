# Kyligence Cloud: an analytics stack (Hadoop master/core/task nodes, RDS for KAP's
# metadata, S3 for cube data, a load balancer, KAP on top) and what its KAP answers.
#
# With no `endpoint` in the provider block, the Kyligence provider starts (or reuses) the
# embedded sandbox cloud under `.corral/sandbox/`, so this applies with nothing else
# installed. Sandbox time runs at one sandbox minute per real second unless
# CORRAL_SANDBOX_TIME_SCALE says otherwise; the stack's ten minutes of creation take about
# ten seconds.
#
# Day-2 operations are changes to this file (or `--var`), each shown by `corral plan`:
#   core_nodes / task_nodes   scale in place; KAP keeps answering (a smaller core group
#                             needs allow_core_shrink = true: HDFS data lives there)
#   running = false           stop: KAP stops, its data is backed up to S3, every node goes
#   running = true            start: nodes come back and the backup is restored
#   kap_version               upgrade: KAP is unavailable while it runs

provider "kyligence" {
  region = "cn-beijing-6"
}

variable "core_nodes" {
  type        = number
  default     = 2
  description = "Core nodes (HDFS data and compute)"
}

variable "task_nodes" {
  type        = number
  default     = 1
  description = "Task nodes (compute only)"
}

variable "running" {
  type        = bool
  default     = true
  description = "Whether the stack runs; false stops it (backed up, no nodes billed)"
}

resource "kyligence_stack" "analytics" {
  name                 = "analytics"
  vpc_id               = "vpc-analytics"
  subnet_id            = "subnet-analytics-a"
  master_instance_type = "m4.xlarge"
  master_count         = 1
  core_instance_type   = "m4.2xlarge"
  core_count           = var.core_nodes
  task_count           = var.task_nodes
  kap_version          = "2.5.0"
  desired_state        = var.running ? "running" : "stopped"

  # Destroying the stack keeps its S3 bucket and its RDS database (the models and cubes'
  # metadata) unless this is true; `corral plan` says which is kept.
  delete_rds_on_destroy = false
}

# KAP answers only while the stack runs.
data "kyligence_kap" "sales" {
  count    = var.running ? 1 : 0
  stack_id = kyligence_stack.analytics.id
  sql      = "select count(*) from KYLIN_SALES"
}

output "kap_url" {
  value = kyligence_stack.analytics.kap_url
}

output "cubes" {
  value = flatten(data.kyligence_kap.sales[*].cubes)
}

output "sales_rows" {
  value = one(data.kyligence_kap.sales[*].result)
}

output "kept_on_destroy" {
  value = kyligence_stack.analytics.retained_on_destroy
}
