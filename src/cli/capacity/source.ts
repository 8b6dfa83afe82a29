/**
 * Where the capacity commands read from: EC2 in a real account, or the simulated demo account (`--demo`,
 * BLOCKFLEET_DEMO=1). Both answer the same three questions, so everything after this port is the same code.
 */
import {
  type Extension,
  ec2Client,
  listCapacityBlocks,
  listExtensions,
  type Offering,
  type OfferingQuery,
  type PageListener,
  type Reservation,
  searchOfferings,
} from "./ec2";

export interface CapacitySource {
  /** Shown in headings: `EC2` or `demo account (simulated)`. */
  readonly label: string;
  searchOfferings(region: string, query: OfferingQuery, onPage?: PageListener): Promise<Offering[]>;
  listCapacityBlocks(region: string, onPage?: PageListener): Promise<Reservation[]>;
  listExtensions(region: string, reservationIds: readonly string[], onPage?: PageListener): Promise<Extension[]>;
}

/** The real account through the AWS SDK; one client per region, made on first use. */
export function ec2Source(): CapacitySource {
  const clients = new Map<string, ReturnType<typeof ec2Client>>();
  const client = (region: string) => {
    if (!clients.has(region)) clients.set(region, ec2Client(region));
    return clients.get(region)!;
  };
  return {
    label: "EC2",
    searchOfferings: (region, query, onPage) => searchOfferings(client(region), query, onPage),
    listCapacityBlocks: (region, onPage) => listCapacityBlocks(client(region), onPage),
    listExtensions: (region, ids, onPage) => listExtensions(client(region), ids, onPage),
  };
}

/** `--demo` or BLOCKFLEET_DEMO=1 (also `true`/`yes`) selects the simulated account. */
export function demoRequested(flag: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return flag === true || /^(1|true|yes)$/i.test(env.BLOCKFLEET_DEMO ?? "");
}
