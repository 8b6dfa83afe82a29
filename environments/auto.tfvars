# auto: the capacity-block platform on EKS Auto Mode instead of Karpenter. EKS provisions the nodes (blockfleet's four
# node pools become Auto Mode NodeClasses and NodePools), runs block storage and the ALB controller, and its built-in
# "system" pool runs the add-ons, so there is no system node group and no karpenter section. One block for Auto Mode's
# capacity-block pool, one for a managed node group beside it.
region             = "us-west-2"
account_id         = "111122223333"
vpc_cidr           = "10.40.0.0/16"
availability_zones = ["us-west-2a", "us-west-2b"]
single_nat_gateway = true

tags = {
  team = "ml-platform"
}

cluster = {
  version              = "1.34"
  log_retention_days   = 30
  grant_deployer_admin = true
  auto_mode            = true
  auto_mode_node_pools = ["system"]
}

node_pools = {
  gpu_spot = {
    instance_types = ["g6e.12xlarge"]
    gpu_limit      = 8
  }
}

capacity_blocks = [
  {
    name              = "p5-auto"
    reservation_id    = "cr-0b1c2d3e4f5a60718"
    instance_type     = "p5.48xlarge"
    instance_count    = 1
    availability_zone = "us-west-2a"
    consumer          = "karpenter"
  },
  {
    name              = "p5-group"
    reservation_id    = "cr-0c1d2e3f4a5b60718"
    instance_type     = "p5.48xlarge"
    instance_count    = 1
    availability_zone = "us-west-2b"
  },
]

platform = {
  auto_mode_ingress = {
    certificate_arn = "arn:aws:acm:us-west-2:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    scheme          = "internal"
  }
}
