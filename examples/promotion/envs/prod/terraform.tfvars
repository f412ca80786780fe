# prod's own values: never promoted.
environment  = "prod"
core_nodes   = 5
office_cidrs = ["10.10.0.0/16", "10.20.0.0/16"]
