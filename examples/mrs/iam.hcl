# Who may work on the cluster: a group of data engineers who use MRS (jobs, tags, SQL:
# `MRS CommonOperations`) in this region's project, and a custom policy that keeps anyone in
# the group from deleting clusters, whatever else they are granted. Add users with an
# `iam_group_membership`; `corral plan` checks each identity's permissions before applying.

provider "iam" {
  region = "cn-north-4"
}

resource "iam_group" "data_engineers" {
  name        = "data-engineers"
  description = "Run jobs on the lake cluster"
}

resource "iam_group_policy_attachment" "operations" {
  group_id    = iam_group.data_engineers.id
  policy_name = "MRS CommonOperations"
}

resource "iam_policy" "keep_clusters" {
  name        = "keep-clusters"
  description = "Clusters are deleted by the platform team only"
  document = jsonencode({
    Version = "1.1"
    Statement = [{
      Effect = "Deny"
      Action = ["mrs:cluster:delete", "mrs:cluster:resize"]
    }]
  })
}

resource "iam_group_policy_attachment" "keep_clusters" {
  group_id  = iam_group.data_engineers.id
  policy_id = iam_policy.keep_clusters.id
}
