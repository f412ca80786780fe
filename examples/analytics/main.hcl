# A Kyligence + Kylin analytics environment on the embedded sandbox cloud: a Kyligence Cloud
# stack (Hadoop, RDS for KAP's metadata, S3 for cube data, KAP) and an Apache Kylin cluster
# in cluster mode placed on that stack's nodes — one job node and two query nodes behind a
# load balancer, with read/write separation (cubes are built on the stack's Hadoop cluster
# and served from a dedicated HBase cluster).
#
# With no `endpoint` in the provider blocks, both providers start (or reuse) the embedded
# sandbox cloud under `.corral/sandbox/`, so this applies with nothing else installed.
#
#   corral apply examples/analytics --auto-approve
#   corral show examples/analytics          # each Kylin node's kylin.properties
#   corral plan examples/analytics --var core_nodes=3

provider "kyligence" {
  region = "cn-beijing-6"
}

provider "kylin" {}

variable "core_nodes" {
  type        = number
  default     = 2
  description = "Core nodes of the stack (HDFS data and compute)"
}

resource "kyligence_stack" "analytics" {
  name                 = "analytics"
  vpc_id               = "vpc-analytics"
  subnet_id            = "subnet-analytics-a"
  master_instance_type = "m4.xlarge"
  master_count         = 1
  core_instance_type   = "m4.2xlarge"
  core_count           = var.core_nodes
  task_count           = 1
  kap_version          = "2.5.0"
  desired_state        = "running"

  # Destroying the stack keeps its S3 bucket and its RDS database unless this is true.
  delete_rds_on_destroy = false
}

resource "kylin_cluster" "analytics" {
  name          = "analytics"
  placement_id  = kyligence_stack.analytics.id
  kylin_version = "3.1.3"
  metadata_url  = "analytics_metadata@hbase"
  job_engine_ha = "distributed"
  zookeeper     = "zk-1:2181,zk-2:2181,zk-3:2181"

  # Read/write separation: cubes are built on the stack's Hadoop cluster and served from a
  # dedicated HBase cluster.
  build_cluster_fs = "hdfs://analytics-master:8020"
  hbase_cluster_fs = "hdfs://analytics-hbase:8020"

  node {
    host = "kylin-job-1"
    mode = "job"
  }
  node {
    host = "kylin-query-1"
    mode = "query"
  }
  node {
    host = "kylin-query-2"
    mode = "query"
  }

  load_balancer {
    targets = ["kylin-query-1:7070", "kylin-query-2:7070"]
  }
}

# KAP answers queries on the stack's cubes.
data "kyligence_kap" "sales" {
  stack_id = kyligence_stack.analytics.id
  sql      = "select count(*) from KYLIN_SALES"
}

output "kap_url" {
  value = kyligence_stack.analytics.kap_url
}

output "kylin_load_balancer" {
  value = kylin_cluster.analytics.load_balancer_dns
}

output "sales_rows" {
  value = data.kyligence_kap.sales.result
}
