import { describe, expect, it } from "vitest";
import { cidrsOverlap, formatCidr, parseCidr, planSubnets } from "../../../src/lib/cidr";

describe("CIDR helpers", () => {
  it("parses canonical networks and refuses host bits, bad octets and prefixes", () => {
    expect(parseCidr("10.0.0.0/16")).toEqual({ network: 10 * 2 ** 24, prefix: 16 });
    expect(formatCidr(parseCidr("192.168.4.0/22")!)).toBe("192.168.4.0/22");
    expect(parseCidr("10.0.0.1/16")).toBeUndefined();
    expect(parseCidr("10.0.256.0/24")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("0.0.0.0/0")).toEqual({ network: 0, prefix: 0 });
  });

  it("detects overlap in either direction and adjacency as no overlap", () => {
    expect(cidrsOverlap(parseCidr("10.0.0.0/16")!, parseCidr("10.0.128.0/24")!)).toBe(true);
    expect(cidrsOverlap(parseCidr("10.0.128.0/24")!, parseCidr("10.0.0.0/16")!)).toBe(true);
    expect(cidrsOverlap(parseCidr("10.0.0.0/24")!, parseCidr("10.0.1.0/24")!)).toBe(false);
  });

  it("plans disjoint subnets inside the VPC, stable when an AZ is added", () => {
    const zones = ["z-a", "z-b", "z-c", "z-d", "z-e", "z-f", "z-g", "z-h"];
    const plan = planSubnets("10.8.0.0/16", zones);
    const all = plan.flatMap((zone) => [zone.privateCidr, zone.publicCidr, zone.intraCidr]).map((text) => parseCidr(text)!);
    const vpc = parseCidr("10.8.0.0/16")!;
    all.forEach((subnet, index) => {
      expect(cidrsOverlap(subnet, vpc)).toBe(true);
      for (const other of all.slice(index + 1)) expect(cidrsOverlap(subnet, other)).toBe(false);
    });
    expect(planSubnets("10.8.0.0/16", zones.slice(0, 2))).toEqual(plan.slice(0, 2));
  });

  it("fails when the VPC is too small, naming the prefix given", () => {
    expect(() => planSubnets("10.0.0.0/17", ["a", "b"])).toThrow(
      'vpc_cidr: "10.0.0.0/17" is too small for the subnet plan; use a /16 or larger (a /17 was given)',
    );
  });

  it("fails when more than eight AZs are asked for", () => {
    expect(() =>
      planSubnets(
        "10.0.0.0/16",
        Array.from({ length: 9 }, (_, index) => `z${index}`),
      ),
    ).toThrow("availability_zones: at most 8 are supported, got 9");
  });

  it("fails when the VPC CIDR is not valid", () => {
    expect(() => planSubnets("10.0.0.0", ["a"])).toThrow('vpc_cidr: "10.0.0.0" is not a valid IPv4 CIDR');
  });
});
