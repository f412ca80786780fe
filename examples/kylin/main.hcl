# Apache Kylin in cluster mode on the embedded sandbox: one job node and two query nodes
# behind a load balancer, with read/write separation (cubes built on the main Hadoop
# cluster, served from a dedicated HBase cluster). `corral apply`, then `corral show` to see
# each node's kylin.properties. Set `placement_id` to a `kyligence_stack` or `kmr_cluster`
# id to say where the nodes run.

resource "kylin_cluster" "analytics" {
  name             = "analytics"
  kylin_version    = "3.1.3"
  metadata_url     = "analytics_metadata@hbase"
  job_engine_ha    = "distributed"
  zookeeper        = "zk-1:2181,zk-2:2181,zk-3:2181"
  build_cluster_fs = "hdfs://main-nn:8020"
  hbase_cluster_fs = "hdfs://hbase-nn:8020"

  extra_properties = {
    "kylin.query.max-return-rows" = "100000"
  }

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

output "load_balancer" {
  value = kylin_cluster.analytics.load_balancer_dns
}
