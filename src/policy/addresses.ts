/**
 * IPv4 and IPv6 ranges as integer intervals, so the gate can tell how much of the internet a set of CIDRs opens
 * (split ranges such as 0.0.0.0/1 + 128.0.0.0/1 are the whole internet) and whether a CIDR stays inside a VPC.
 */

export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  /** Exclusive end. */
  readonly end: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((acc, part) => acc * 256n + BigInt(part), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return undefined;
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...tailGroups];
  if (groups.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return groups.reduce((acc, group) => acc * 65536n + BigInt(parseInt(group, 16)), 0n);
}

/** Parses an IPv4 or IPv6 CIDR (host bits are ignored, as AWS normalises them); undefined when it is not one. */
export function parseRange(cidr: string): AddressRange | undefined {
  const [address = "", prefixText, extra] = cidr.trim().split("/");
  if (prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const family = address.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32n : 128n;
  const prefix = BigInt(prefixText);
  const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === undefined || prefix > bits) return undefined;
  const size = 1n << (bits - prefix);
  const first = value - (value % size);
  return { family, first, end: first + size };
}

function merge(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: AddressRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && last.family === range.family && range.first <= last.end) {
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max and Math.min refuse
      merged[merged.length - 1] = { ...last, end: range.end > last.end ? range.end : last.end };
    } else merged.push(range);
  }
  return merged;
}

function overlap(a: AddressRange, b: AddressRange): bigint {
  if (a.family !== b.family) return 0n;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max and Math.min refuse
  const first = a.first > b.first ? a.first : b.first;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max and Math.min refuse
  const end = a.end < b.end ? a.end : b.end;
  return end > first ? end - first : 0n;
}

/**
 * The public internet: all of IPv4 but the ranges that never route on it (RFC 6890: this network, private, shared,
 * loopback, link-local, multicast, reserved), and IPv6 global unicast (2000::/3, RFC 4291).
 */
const NON_PUBLIC_IPV4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"].map(
  (cidr) => parseRange(cidr)!,
);
const GLOBAL_IPV6 = parseRange("2000::/3")!;

/** How many public addresses of each family a set of CIDRs covers together. */
export function publicAddresses(cidrs: readonly string[]): { ipv4: bigint; ipv6: bigint } {
  const ranges = merge(cidrs.map(parseRange).filter((range): range is AddressRange => range !== undefined));
  let ipv4 = 0n;
  let ipv6 = 0n;
  for (const range of ranges) {
    if (range.family === 4) ipv4 += range.end - range.first - NON_PUBLIC_IPV4.reduce((sum, reserved) => sum + overlap(range, reserved), 0n);
    else ipv6 += overlap(range, GLOBAL_IPV6);
  }
  return { ipv4, ipv6 };
}

/**
 * A set of sources is "the internet" when it covers as many public addresses as a /8 of IPv4 (16.7 million, more
 * than any organisation's own network) or a /32 of IPv6 (a whole ISP allocation): 0.0.0.0/0, ::/0 and their splits.
 */
export const INTERNET_IPV4_THRESHOLD = 1n << 24n;
export const INTERNET_IPV6_THRESHOLD = 1n << 96n;

export function coversInternet(cidrs: readonly string[]): boolean {
  const { ipv4, ipv6 } = publicAddresses(cidrs);
  return ipv4 >= INTERNET_IPV4_THRESHOLD || ipv6 >= INTERNET_IPV6_THRESHOLD;
}

/** True when the CIDR lies wholly inside one of the containers; false when any part, or the text, is outside. */
export function isWithin(cidr: string, containers: readonly string[]): boolean {
  const range = parseRange(cidr);
  if (!range) return false;
  return containers.some((container) => {
    const outer = parseRange(container);
    return outer !== undefined && outer.family === range.family && outer.first <= range.first && range.end <= outer.end;
  });
}
