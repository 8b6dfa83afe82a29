# prod: the reference production setup. Two capacity blocks in different AZs, one NAT gateway per AZ, a private
# API endpoint, EFA for multi-node training on the H100 block.
region             = "us-east-1"
account_id         = "111122223333"
vpc_cidr           = "10.40.0.0/16"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
single_nat_gateway = false
# Production: every resource is tagged production = "true" and the policy gate holds it to production rules.
production         = true

tags = {
  team        = "ml-platform"
  cost-center = "gpu-prod"
}

cluster = {
  version                = "1.34"
  endpoint_public_access = false
  # Cluster admins, one access entry each. Whoever deploys the Kubernetes-side stacks assumes one of these roles:
  # grant_deployer_admin stays off here, so no identity gets access just by running Terraform.
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

# Karpenter: pinned chart and Bottlerocket release. Both blocks above are their node groups' (consumer = "node_group",
# the default), so Karpenter never selects them; its capacity-block pool takes reservations tagged deployment = prod
# AND blockfleet.io/capacity-consumer = karpenter (blocks bought later by hand). On-demand GPUs stay at 0 until raised.
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

# The capacity manager service with its secure defaults: IAM + API key on every method, reconcile every minute.
# Extension purchasing is on (without extensions_enabled the manager only tracks: node groups, expiry alerts, status),
# no new purchases, each extension approved by a person: only the finance approver role may approve (PATCH /{PK}).
# It tracks both blocks above by itself (their node groups linked); a block can set its own policy with
# capacity_blocks[].extend.
capacity_manager = {
  extensions_enabled      = true
  # Most the manager may commit per UTC calendar month (extensions and replacements together); a purchase that
  # would go over it is not made and cannot be approved past it. A week of a p5.48xlarge block costs ~$5,000.
  monthly_budget_usd      = 60000
  approver_principal_arns = ["arn:aws:iam::111122223333:role/finance-approver"]
  alarms = {
    # On-call for the manager's alarms (expiring blocks, failed reconciles, undelivered notifications). Replace this
    # example address with your on-call list or pager address; it must confirm the SNS subscription.
    email = "gpu-oncall@example.com"
  }
}

# Platform services, every part on: model registry, PostgreSQL 17 (Multi-AZ, 30-day backups), Redis with failover,
# the secrets layout synced by External Secrets, an internet-facing ALB class with TLS 1.3, GPU device plugins
# (NVIDIA for the AL2023 block, EFA because p5-training uses it), DCGM metrics, container logs and Reloader.
# OIDC client secrets are set in Secrets Manager (prod/oidc_secret), never here.
platform = {
  model_registry = {
    service_accounts = [
      { namespace = "ml-platform", name = "control-plane" },
      { namespace = "ml-platform", name = "harmony" },
    ]
  }
  database = {
    instance_class        = "db.m8g.2xlarge"
    multi_az              = true
    backup_retention_days = 30
    allocated_storage_gib = 200
  }
  cache = {
    node_type          = "cache.r7g.large"
    automatic_failover = true
    num_cache_clusters = 2
  }
  secrets = {
    oidc_providers = [
      {
        name       = "Cognito"
        key        = "cognito"
        issuer_url = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
        client_id  = "4example5client6id7"
      },
    ]
  }
  external_secrets = {}
  load_balancer_controller = {
    certificate_arn = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    scheme          = "internet-facing"
  }
  gpu = {
    nvidia_device_plugin = true
    dcgm_exporter        = true
  }
  logs = {
    retention_days = 400
  }
  reloader = {}
}
