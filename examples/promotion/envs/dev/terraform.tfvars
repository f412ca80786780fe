# dev's own values: never promoted.
environment  = "dev"
core_nodes   = 3
office_cidrs = ["10.10.0.0/16"]
