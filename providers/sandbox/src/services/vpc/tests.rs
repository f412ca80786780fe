//! VPC service tests.
