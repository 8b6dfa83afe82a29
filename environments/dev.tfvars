# dev: the smallest useful blockfleet environment. One small capacity block (its node group fills when the block
# turns active; the capacity manager runs in tracking mode because a block is declared), a single NAT gateway, a
# private API endpoint. Copy it to another region by changing region, availability_zones and the block's zone.
# Synth warns that the manager's alarms reach nobody: add capacity_manager = { alarms = { email = "you@…" } } to hear
# of an expiring block (prod subscribes on-call; tracking mode buys nothing, so dev needs no approver).
region             = "us-east-2"
# Guards every plan against the wrong account and names the state bucket (blockfleet-tfstate-dev-<account>-<region>).
account_id         = "111122223333"
vpc_cidr           = "10.20.0.0/16"
availability_zones = ["us-east-2a", "us-east-2b"]
single_nat_gateway = true

tags = {
  team        = "ml-platform"
  cost-center = "gpu-dev"
}

cluster = {
  version                = "1.34"
  endpoint_public_access = true
  public_access_cidrs    = ["203.0.113.0/24"]
  log_retention_days     = 30
  # The identity running `cdktf deploy` gets its own cluster-admin entry, so the Kubernetes-side stacks can reach the API.
  grant_deployer_admin = true
  # Session Manager shells on the nodes (AmazonSSMManagedInstanceCore on the node roles): handy while developing.
  ssm_access           = true
}

system_node_group = {
  instance_types = ["m7i.large"]
  min_size       = 2
  max_size       = 3
  desired_size   = 2
}

capacity_blocks = [
  {
    name              = "p5-dev"
    reservation_id    = "cr-0a1b2c3d4e5f60718"
    instance_type     = "p5.48xlarge"
    instance_count    = 1
    availability_zone = "us-east-2a"
    ami_type          = "BOTTLEROCKET_x86_64_NVIDIA"
    root_volume_gib   = 200
  },
]
