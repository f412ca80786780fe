# A scheduled pipeline: a job template and the plan that runs it.

variable "name" {
  type = string
}

variable "cluster_id" {
  type = string
}

variable "schedule" {
  type    = string
  default = "0 3 * * *"
}

resource "corral_data" "template" {
  input = {
    name    = "${var.name}-template"
    cluster = var.cluster_id
    jobs = [
      { name = "ingest", type = "spark", args = ["--date", "yesterday"] },
      { name = "report", type = "hive", args = [] },
    ]
  }
}

resource "corral_data" "schedule" {
  input = {
    name     = var.name
    template = corral_data.template.id
    cron     = var.schedule
    enabled  = true
  }
}

output "summary" {
  value = "${var.name} runs `${var.schedule}` using template ${corral_data.template.id}"
}
