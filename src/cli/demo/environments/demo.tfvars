# The demo environment: what `blockfleet capacity … --demo` (or BLOCKFLEET_DEMO=1) reads, against the simulated account
# in src/cli/demo/account.ts. Never synthesized or deployed; it only has to be a valid environment file.
region             = "us-east-1"
# Required of every environment file (it names the state bucket); the demo account is simulated and has no id.
account_id         = "123456789012"
vpc_cidr           = "10.99.0.0/16"
availability_zones = ["us-east-1a", "us-east-1b"]

cluster = {
  version = "1.34"
}

capacity_blocks = [
  {
    name              = "p5-training"
    reservation_id    = "cr-0de300000000000a1"
    instance_type     = "p5.48xlarge"
    instance_count    = 4
    availability_zone = "us-east-1a"
  },
  {
    name              = "p5e-inference"
    reservation_id    = "cr-0de300000000000b2"
    instance_type     = "p5e.48xlarge"
    instance_count    = 2
    availability_zone = "us-east-1b"
  },
  {
    name              = "p4d-finetune"
    reservation_id    = "cr-0de300000000000c3"
    instance_type     = "p4d.24xlarge"
    instance_count    = 2
    availability_zone = "us-east-1a"
  },
  {
    name              = "p5-next"
    reservation_id    = "cr-0de300000000000d4"
    instance_type     = "p5.48xlarge"
    instance_count    = 4
    availability_zone = "us-east-1a"
  },
  {
    name              = "p4d-old"
    reservation_id    = "cr-0de300000000000e5"
    instance_type     = "p4d.24xlarge"
    instance_count    = 2
    availability_zone = "us-east-1a"
  },
  {
    name              = "p5en-eval"
    reservation_id    = "cr-0de30000000000107"
    instance_type     = "p5en.48xlarge"
    instance_count    = 1
    availability_zone = "us-east-1b"
  },
]

# Karpenter's capacity-block pool also takes reservations carrying this tag (the untracked demo block has it).
node_pools = {
  gpu_capacity_block = {
    reservation_tags = { capacity-pool = "demo" }
  }
}

# The manager buys extensions within a monthly budget; `capacity spend --demo` shows the month against it.
capacity_manager = {
  extensions_enabled = true
  monthly_budget_usd = 60000
}
