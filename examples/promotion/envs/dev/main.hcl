# This environment's configuration. `corral promote` copies this file from the environment
# promoted from (the module version and the inputs it passes are what is promoted); the
# values that differ per environment live in terraform.tfvars, which stays.
#
# With no `endpoint`, the KMR provider starts this environment's own embedded sandbox cloud
# under .corral/sandbox/ (a separate account per environment, as in real life).

provider "kmr" {
  region = var.region
}

variable "environment" {
  type = string
}

variable "region" {
  type    = string
  default = "cn-beijing-6"
}

variable "core_nodes" {
  type = number
}

variable "office_cidrs" {
  type = list(string)
}

module "platform" {
  source = "../../modules/platform/v1"

  environment  = var.environment
  core_nodes   = var.core_nodes
  office_cidrs = var.office_cidrs
}

output "cluster_id" {
  value = module.platform.cluster_id
}
