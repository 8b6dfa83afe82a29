/**
 * Data sources are read on every plan, and some fail when their filter matches zero or several objects
 * (`aws_security_group`). A stack declares only the lookups something in it reads.
 */
import { describe, expect, it } from "vitest";
import { loadEnvironments } from "../../src/config/load";
import { baseEnvironmentInput, environmentFrom, synthesize } from "../support/synth";

const LOOKUPS = ["aws_subnets", "aws_security_group"];

describe("network lookups of the platform stacks", () => {
  it("are declared only where a data service reads them", async () => {
    // GIVEN the shipped prod environment (database and cache on) and one with only the load balancer controller
    const prod = await synthesize(await loadEnvironments({ dir: "environments", names: ["prod"] }));
    const lbOnly = await synthesize([
      environmentFrom("lb", {
        ...baseEnvironmentInput(),
        platform: { load_balancer_controller: { certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" } },
      }),
    ]);
    // THEN prod's AWS-side stack looks both up (RDS and ElastiCache use them), its Kubernetes stacks neither
    for (const type of LOOKUPS) expect(prod.dataSources("prod-platform", type)).toHaveLength(1);
    for (const stack of ["prod-platform-k8s", "prod-platform-manifests"]) {
      for (const type of LOOKUPS) expect({ stack, type, found: prod.dataSources(stack, type).length }).toEqual({ stack, type, found: 0 });
    }
    // AND a platform without data services looks neither up anywhere
    for (const stack of ["lb-platform", "lb-platform-k8s"]) {
      for (const type of LOOKUPS) expect({ stack, type, found: lbOnly.dataSources(stack, type).length }).toEqual({ stack, type, found: 0 });
    }
  });
});
