# prod: the reference production setup. Two capacity blocks in different AZs, one NAT gateway per AZ, a private
# API endpoint, EFA for multi-node training on the H100 block.
region             = "us-east-1"
account_id         = "111122223333"
vpc_cidr           = "10.40.0.0/16"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = false

tags = {
  team        = "ml-platform"
  cost-center = "gpu-prod"
}

cluster = {
  version                = "1.34"
  endpoint_public_access = false
  admin_principal_arns   = ["arn:aws:iam::111122223333:role/platform-admin"]
  log_retention_days     = 365
}

system_node_group = {
  instance_types = ["m7i.xlarge", "m6i.xlarge"]
  min_size       = 3
  max_size       = 6
  desired_size   = 3
}

capacity_blocks = [
  {
    name              = "p5-training"
    reservation_id    = "cr-0123456789abcdef0"
    instance_type     = "p5.48xlarge"
    instance_count    = 4
    availability_zone = "us-east-1a"
    ami_type          = "AL2023_x86_64_NVIDIA"
    efa               = true
    labels            = { workload = "training" }
  },
  {
    name              = "p5e-inference"
    reservation_id    = "cr-0fedcba9876543210"
    instance_type     = "p5e.48xlarge"
    instance_count    = 2
    availability_zone = "us-east-1b"
    ami_type          = "BOTTLEROCKET_x86_64_NVIDIA"
    labels            = { workload = "inference" }
    taints            = [{ key = "workload", value = "inference", effect = "NO_SCHEDULE" }]
  },
]

# Karpenter: pinned chart and Bottlerocket release. The capacity-block pool selects both blocks above by id and any
# block tagged deployment = prod (bought later by the capacity manager); on-demand GPUs stay at 0 until raised.
karpenter = {
  chart_version     = "1.14.1"
  ami_family        = "bottlerocket"
  ami_alias_version = "v1.66.0"
}

node_pools = {
  gpu_spot = {
    instance_types = ["g6e.12xlarge", "g6e.48xlarge", "p5.48xlarge"]
    gpu_limit      = 32
  }
  gpu_capacity_block = {
    reservation_tags         = { deployment = "prod" }
    termination_grace_period = "24h"
  }
  gpu_on_demand = {
    gpu_limit = 0
  }
}

# The capacity manager service with its secure defaults: IAM + API key on every method, reconcile every minute,
# extensions only (no new purchases).
capacity_manager = {}
