# staging's own values: never promoted.
environment  = "staging"
core_nodes   = 4
office_cidrs = ["10.10.0.0/16", "10.20.0.0/16"]
