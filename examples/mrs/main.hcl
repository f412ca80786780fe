# A Huawei Cloud MRS environment: an analysis cluster with master, core and task groups, an
# auto-scaling policy on its task group and a job that runs once (runs against the embedded
# sandbox when the provider has no `endpoint`; set `endpoint`, HW_ACCESS_KEY and
# HW_SECRET_KEY for the real service).
#
#   corral apply examples/mrs --auto-approve
#   corral apply examples/mrs --auto-approve --var core_count=5      # scales in place
#   corral plan  examples/mrs --var master_flavor=c6.4xlarge.4.linux.bigdata   # in-place master upgrade
#   corral plan  examples/mrs --var 'wordcount_args=["wordcount","-r","4"]'    # a new run, said so

variable "core_count" {
  type    = number
  default = 3
}

variable "wordcount_args" {
  type    = list(string)
  default = ["wordcount"]
}

variable "master_flavor" {
  type    = string
  default = "c6.2xlarge.4.linux.bigdata"
}

variable "admin_password" {
  type      = string
  sensitive = true
  default   = "Admin@12345"
}

provider "mrs" {
  region = "cn-north-4"
}

resource "mrs_cluster" "lake" {
  name               = "lake"
  version            = "MRS 3.1.0"
  type               = "analysis"
  components         = ["Hadoop", "Spark2x", "Hive", "Tez"]
  vpc_name           = "vpc-lake"
  subnet_id          = "subnet-lake"
  security_group_id  = "sg-lake"
  safe_mode          = true
  admin_password     = var.admin_password
  node_root_password = var.admin_password

  master_flavor = var.master_flavor
  core_flavor   = "c6.4xlarge.4.linux.bigdata"
  core_count    = var.core_count
  task_flavor   = "c6.2xlarge.4.linux.bigdata"
  task_count    = 2

  tags = {
    team = "data"
    env  = "dev"
  }
}

# Task nodes follow the load: out when YARN is busy, in when memory idles, more in office hours.
resource "mrs_scaling_policy" "lake_tasks" {
  cluster_id   = mrs_cluster.lake.id
  node_group   = "task_node_analysis_group"
  min_capacity = 1
  max_capacity = 10

  rule {
    name                = "busy"
    description         = "YARN has many apps running"
    adjustment_type     = "scale_out"
    scaling_adjustment  = 2
    cool_down_minutes   = 20
    metric_name         = "YARNAppRunning"
    metric_value        = 50
    comparison_operator = "GT"
    evaluation_periods  = 2
  }

  rule {
    name                = "idle"
    adjustment_type     = "scale_in"
    scaling_adjustment  = 1
    metric_name         = "YARNMemoryAvailablePercentage"
    metric_value        = 70
    comparison_operator = "GTOE"
    evaluation_periods  = 6
  }

  resource_plan {
    start_time   = "09:00"
    end_time     = "18:00"
    min_capacity = 2
    max_capacity = 10
  }

  exec_script {
    name         = "drain"
    uri          = "obs://lake-ops/scripts/drain-node.sh"
    parameters   = "$${mrs_scale_node_hostnames}"
    nodes        = ["Task"]
    action_stage = "before_scale_in"
    fail_action  = "continue"
  }
}

# A job is a run: submitted once, the apply waits for its result and fails unless it
# succeeded; changing an argument plans a new run (and says so), change `triggers` to rerun.
resource "mrs_job" "wordcount" {
  cluster_id   = mrs_cluster.lake.id
  name         = "wordcount"
  type         = "MapReduce"
  program_path = "obs://lake-jobs/hadoop-mapreduce-examples.jar"
  args         = var.wordcount_args
  input        = "obs://lake-data/raw/"
  output       = "obs://lake-data/wordcount/"
}

# IAM (an operators' group and a custom policy) is added beside these resources.

output "master_ip" {
  value = mrs_cluster.lake.master_ip
}

output "wordcount_result" {
  value = mrs_job.wordcount.result
}
