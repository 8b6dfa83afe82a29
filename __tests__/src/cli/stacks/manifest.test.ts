import { describe, expect, it } from "vitest";
import { dependencyOrder, type StackInfo, stacksOf } from "../../../../src/cli/stacks/manifest";

const stack = (name: string, dependencies: string[] = []): StackInfo => ({ name, directory: `stacks/${name}`, dependencies, backend: "s3" });

describe("dependencyOrder", () => {
  it("GIVEN stacks listed in any order THEN each comes after its dependencies", () => {
    const ordered = dependencyOrder([
      stack("prod-karpenter-pools", ["prod-karpenter"]),
      stack("prod-karpenter", ["prod-cluster"]),
      stack("prod-cluster", ["prod-bootstrap"]),
      stack("prod-bootstrap"),
    ]);

    expect(ordered.map((entry) => entry.name)).toEqual(["prod-bootstrap", "prod-cluster", "prod-karpenter", "prod-karpenter-pools"]);
  });

  it("GIVEN independent stacks THEN they keep alphabetical order", () => {
    expect(dependencyOrder([stack("b"), stack("c"), stack("a")]).map((entry) => entry.name)).toEqual(["a", "b", "c"]);
  });

  it("GIVEN a dependency outside the selection THEN it is taken as deployed", () => {
    expect(dependencyOrder([stack("dev-platform", ["dev-cluster"])]).map((entry) => entry.name)).toEqual(["dev-platform"]);
  });

  it("fails when dependencies form a cycle, naming the stacks", () => {
    expect(() => dependencyOrder([stack("a", ["b"]), stack("b", ["a"]), stack("c")])).toThrow("stack dependencies form a cycle among a, b");
  });
});

describe("stacksOf", () => {
  const all = [stack("dev-cluster"), stack("prod-cluster"), stack("prod-karpenter")];

  it("GIVEN environment names THEN only their stacks are kept", () => {
    expect(stacksOf(all, ["prod"]).map((entry) => entry.name)).toEqual(["prod-cluster", "prod-karpenter"]);
  });

  it("GIVEN environments dev and dev-eu THEN dev gets only its own stacks, by the environment tag and not the name prefix", () => {
    const tagged = (name: string, environment: string): StackInfo => ({ ...stack(name), environment });
    const both = [tagged("dev-cluster", "dev"), tagged("dev-eu-cluster", "dev-eu"), tagged("dev-eu-karpenter", "dev-eu")];

    expect(stacksOf(both, ["dev"]).map((entry) => entry.name)).toEqual(["dev-cluster"]);
    expect(stacksOf(both, ["dev-eu"]).map((entry) => entry.name)).toEqual(["dev-eu-cluster", "dev-eu-karpenter"]);
  });

  it("fails when an environment has no synthesized stacks", () => {
    expect(() => stacksOf(all, ["qa"])).toThrow("no synthesized stacks for qa; run `blockfleet synth qa` first");
  });
});
