# A scheduled pipeline: a transient-cluster template with its jobs, and the execution plan
# that runs it.

variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "log_uri" {
  type        = string
  description = "KS3 location for the runs' logs and results (they outlive the clusters)"
}

variable "schedule" {
  type    = string
  default = "0 3 * * *"
}

variable "time_zone" {
  type    = string
  default = "Asia/Shanghai"
}

resource "kmr_cluster_template" "this" {
  name      = "${var.name}-template"
  version   = "5.3.0"
  services  = ["hive", "spark"]
  vpc_id    = var.vpc_id
  subnet_id = var.subnet_id
  log_uri   = var.log_uri

  master_instance_type = "S6.2XLARGE16"
  core_instance_type   = "S6.2XLARGE16"
  core_count           = 2

  job {
    name = "ingest"
    type = "spark"
    args = ["--date", "yesterday"]
  }

  job {
    name = "report"
    type = "hive"
  }
}

resource "kmr_execution_plan" "this" {
  name        = var.name
  template_id = kmr_cluster_template.this.id
  mode        = "schedule"
  schedule    = var.schedule
  time_zone   = var.time_zone
  enabled     = true
}

output "summary" {
  value = "${var.name} runs `${var.schedule}` (${var.time_zone}) from template ${kmr_cluster_template.this.id}"
}
