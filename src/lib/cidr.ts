/** IPv4 CIDR arithmetic for the deterministic subnet plan. Pure functions, no dependencies. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "10.0.0.0/16"; returns undefined for anything that is not a canonical IPv4 CIDR. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, octet) => acc * 256 + octet, 0);
  const network = prefix === 0 ? 0 : address - (address % 2 ** (32 - prefix));
  if (network !== address) return undefined;
  return { network, prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.network / 2 ** shift) % 256);
  return `${octets.join(".")}/${cidr.prefix}`;
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

/** The index-th block of the given prefix inside parent, or undefined when it does not fit. */
export function subnetAt(parent: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr | undefined {
  if (prefix < parent.prefix) return undefined;
  const size = 2 ** (32 - prefix);
  const network = parent.network + index * size;
  if (network + size > parent.network + cidrSize(parent)) return undefined;
  return { network, prefix };
}

export const SUBNET_PREFIXES = { private: 20, public: 24, intra: 24 } as const;
export const MAX_AVAILABILITY_ZONES = 8;

export interface AzSubnetPlan {
  readonly availabilityZone: string;
  readonly privateCidr: string;
  readonly publicCidr: string;
  readonly intraCidr: string;
}

/**
 * Carves, per AZ, a private /20, a public /24 and an intra /24 from the VPC CIDR. Private subnets take the first
 * eight /20s (room for 8 AZs); public and intra /24s follow in the ninth /20, so adding an AZ never moves an
 * existing subnet. Needs at least a /16 VPC. Throws with the offending values when the plan doesn't fit.
 */
export function planSubnets(vpcCidr: string, availabilityZones: readonly string[]): AzSubnetPlan[] {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new Error(`vpc_cidr: "${vpcCidr}" is not a valid IPv4 CIDR`);
  if (availabilityZones.length > MAX_AVAILABILITY_ZONES) {
    throw new Error(`availability_zones: at most ${MAX_AVAILABILITY_ZONES} are supported, got ${availabilityZones.length}`);
  }
  const edgeBlock = subnetAt(vpc, SUBNET_PREFIXES.private, MAX_AVAILABILITY_ZONES);
  return availabilityZones.map((availabilityZone, index) => {
    const privateCidr = subnetAt(vpc, SUBNET_PREFIXES.private, index);
    const publicCidr = edgeBlock && subnetAt(edgeBlock, SUBNET_PREFIXES.public, index);
    const intraCidr = edgeBlock && subnetAt(edgeBlock, SUBNET_PREFIXES.intra, MAX_AVAILABILITY_ZONES + index);
    if (!privateCidr || !publicCidr || !intraCidr) {
      throw new Error(`vpc_cidr: "${vpcCidr}" is too small for the subnet plan; use a /16 or larger (a /${vpc.prefix} was given)`);
    }
    return {
      availabilityZone,
      privateCidr: formatCidr(privateCidr),
      publicCidr: formatCidr(publicCidr),
      intraCidr: formatCidr(intraCidr),
    };
  });
}

/** Smallest VPC prefix the plan fits in: nine /20 blocks need a /16. */
export const MIN_VPC_PREFIX = 16;
