# A Huawei Cloud MRS analysis cluster (runs against the embedded sandbox when the provider
# has no `endpoint`; set `endpoint`, HW_ACCESS_KEY and HW_SECRET_KEY for the real service).
#
#   corral apply examples/mrs --auto-approve
#   corral apply examples/mrs --auto-approve --var core_count=5      # scales in place
#   corral plan  examples/mrs --var master_flavor=c6.4xlarge.4.linux.bigdata   # in-place master upgrade

variable "core_count" {
  type    = number
  default = 3
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

output "master_ip" {
  value = mrs_cluster.lake.master_ip
}
