import { describe, expect, it } from "vitest";
import { coversInternet, isWithin, parseRange, publicAddresses } from "../../../src/policy/addresses";

describe("address ranges", () => {
  it("parses IPv4 and IPv6 CIDRs, normalising host bits like AWS does", () => {
    expect(parseRange("10.0.1.7/16")).toEqual({ family: 4, first: 10n * 2n ** 24n, end: 10n * 2n ** 24n + 2n ** 16n });
    expect(parseRange("::/0")).toEqual({ family: 6, first: 0n, end: 2n ** 128n });
    expect(parseRange("2001:db8::/32")?.first).toBe(0x20010db8n << 96n);
  });

  it("refuses text that is not a CIDR", () => {
    for (const text of ["10.0.0.0", "10.0.0.256/8", "10.0.0.0/33", "::1::/64", "2001:db8::/129", "sg-0123", "${var.cidr}"])
      expect(parseRange(text), text).toBeUndefined();
  });

  it("counts only public addresses: private, shared, loopback, link-local and multicast space is not the internet", () => {
    expect(publicAddresses(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"])).toEqual({ ipv4: 0n, ipv6: 0n });
    expect(publicAddresses(["fc00::/7", "fe80::/10"])).toEqual({ ipv4: 0n, ipv6: 0n });
    expect(publicAddresses(["203.0.113.0/24", "203.0.113.128/25"]).ipv4).toBe(256n);
  });

  it("treats 0.0.0.0/0, ::/0 and their splits as the internet, and an office range as not", () => {
    expect(coversInternet(["0.0.0.0/0"])).toBe(true);
    expect(coversInternet(["::/0"])).toBe(true);
    expect(coversInternet(["0.0.0.0/1", "128.0.0.0/1"])).toBe(true);
    expect(coversInternet(["2000::/4", "3000::/4"])).toBe(true);
    expect(coversInternet(["11.0.0.0/9", "11.128.0.0/9"])).toBe(true);
    expect(coversInternet(["11.0.0.0/9"])).toBe(false);
    expect(coversInternet(["203.0.113.0/24", "2001:db8::/48"])).toBe(false);
    expect(coversInternet(["10.0.0.0/8", "8000::/1"])).toBe(false);
  });

  it("knows when a CIDR lies wholly inside a VPC", () => {
    expect(isWithin("10.40.16.0/20", ["10.40.0.0/16"])).toBe(true);
    expect(isWithin("10.0.0.0/8", ["10.40.0.0/16"])).toBe(false);
    expect(isWithin("2001:db8:1::/64", ["2001:db8::/32"])).toBe(true);
    expect(isWithin("10.40.0.0/16", ["2001:db8::/32"])).toBe(false);
  });
});
