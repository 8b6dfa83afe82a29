/**
 * The CLI's only EC2 access: read-only calls, paginated, returned as plain records with parsed numbers and dates so
 * everything after this module is pure and testable without AWS. The CLI never buys capacity.
 */
import {
  type CapacityBlockExtension,
  type CapacityBlockOffering,
  type CapacityReservation,
  EC2Client,
  paginateDescribeCapacityBlockExtensionHistory,
  paginateDescribeCapacityBlockOfferings,
  paginateDescribeCapacityReservations,
} from "@aws-sdk/client-ec2";
import { CliError } from "../errors";

export interface Offering {
  readonly offeringId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly instanceCount: number;
  readonly startDate: Date;
  readonly endDate: Date;
  readonly durationHours: number;
  /** The whole block's price, paid at purchase. */
  readonly upfrontFee: number;
  readonly currency: string;
}

export interface OfferingQuery {
  readonly instanceTypes: readonly string[];
  readonly instanceCount: number;
  readonly durationHours: number;
  readonly startAfter?: Date;
  readonly endBefore?: Date;
}

export interface Reservation {
  readonly reservationId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly totalInstances: number;
  readonly availableInstances: number;
  /** EC2's state: scheduled, payment-pending, active, expired, payment-failed, … */
  readonly state: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly tags: Readonly<Record<string, string>>;
}

export interface Extension {
  readonly reservationId: string;
  /** payment-pending, payment-failed or payment-succeeded. */
  readonly status: string;
  readonly durationHours?: number;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly purchaseDate?: Date;
  readonly upfrontFee?: number;
  readonly currency?: string;
}

/** Called after each page so long searches can show progress. */
export type PageListener = (message: string) => void;

/** Page size for the describe calls: large pages mean fewer round trips. */
const PAGE_SIZE = 100;

export function ec2Client(region: string): EC2Client {
  return new EC2Client({ region });
}

/** Offerings for every requested instance type, in every AZ of the client's region, all pages. */
export async function searchOfferings(client: EC2Client, query: OfferingQuery, onPage: PageListener = () => undefined): Promise<Offering[]> {
  const offerings: Offering[] = [];
  for (const instanceType of query.instanceTypes) {
    let page = 0;
    const pages = paginateDescribeCapacityBlockOfferings(
      { client, pageSize: PAGE_SIZE },
      {
        InstanceType: instanceType,
        InstanceCount: query.instanceCount,
        CapacityDurationHours: query.durationHours,
        StartDateRange: query.startAfter,
        EndDateRange: query.endBefore,
      },
    );
    await forEachPage(pages, `DescribeCapacityBlockOfferings (${instanceType})`, (response) => {
      page += 1;
      offerings.push(...(response.CapacityBlockOfferings ?? []).flatMap(toOffering));
      onPage(`searching ${instanceType} offerings: page ${page}, ${offerings.length} found`);
    });
  }
  return offerings;
}

/** Every capacity block reservation in the region (other capacity reservation types are left out). */
export async function listCapacityBlocks(client: EC2Client, onPage: PageListener = () => undefined): Promise<Reservation[]> {
  const reservations: Reservation[] = [];
  const pages = paginateDescribeCapacityReservations({ client, pageSize: PAGE_SIZE }, {});
  await forEachPage(pages, "DescribeCapacityReservations", (response) => {
    reservations.push(
      ...(response.CapacityReservations ?? []).filter((reservation) => reservation.ReservationType === "capacity-block").flatMap(toReservation),
    );
    onPage(`reading capacity reservations: ${reservations.length} capacity blocks`);
  });
  return reservations;
}

/** Extension purchases (pending, failed and paid) for the given reservations, asked about a page of ids at a time. */
export async function listExtensions(client: EC2Client, reservationIds: readonly string[], onPage: PageListener = () => undefined): Promise<Extension[]> {
  const extensions: Extension[] = [];
  for (let offset = 0; offset < reservationIds.length; offset += PAGE_SIZE) {
    const ids = reservationIds.slice(offset, offset + PAGE_SIZE);
    const pages = paginateDescribeCapacityBlockExtensionHistory({ client, pageSize: PAGE_SIZE }, { CapacityReservationIds: ids });
    await forEachPage(pages, "DescribeCapacityBlockExtensionHistory", (response) => collectExtensions(response.CapacityBlockExtensions ?? [], extensions));
    onPage(`reading extension history: ${extensions.length} extensions`);
  }
  return extensions;
}

function collectExtensions(page: readonly CapacityBlockExtension[], into: Extension[]): void {
  for (const extension of page) {
    if (!extension.CapacityReservationId || !extension.CapacityBlockExtensionStatus) continue;
    into.push({
      reservationId: extension.CapacityReservationId,
      status: extension.CapacityBlockExtensionStatus,
      durationHours: extension.CapacityBlockExtensionDurationHours,
      startDate: extension.CapacityBlockExtensionStartDate,
      endDate: extension.CapacityBlockExtensionEndDate,
      purchaseDate: extension.CapacityBlockExtensionPurchaseDate,
      upfrontFee: decimal(extension.UpfrontFee),
      currency: extension.CurrencyCode,
    });
  }
}

/** Runs the pages, turning SDK failures (no credentials, access denied, throttling past retries) into one line. */
async function forEachPage<T>(pages: AsyncIterable<T>, operation: string, handle: (page: T) => void): Promise<void> {
  try {
    for await (const page of pages) handle(page);
  } catch (error) {
    const name = (error as { name?: string }).name;
    const message = (error as Error).message ?? String(error);
    const hint =
      name === "CredentialsProviderError"
        ? " (configure AWS credentials, e.g. AWS_PROFILE or `aws sso login`)"
        : name === "UnauthorizedOperation" || name === "AccessDenied"
          ? ` (the caller needs the ec2:${operation.split(" ")[0]} permission)`
          : "";
    throw new CliError(`EC2 ${operation} failed: ${name && name !== "Error" ? `${name}: ` : ""}${message.split("\n")[0]}${hint}`);
  }
}

function toOffering(offering: CapacityBlockOffering): Offering[] {
  const fee = decimal(offering.UpfrontFee);
  const { CapacityBlockOfferingId: id, InstanceType: type, AvailabilityZone: zone, StartDate: start, EndDate: end } = offering;
  if (!id || !type || !zone || !start || !end || fee === undefined) return [];
  const durationHours =
    offering.CapacityBlockDurationHours ??
    (offering.CapacityBlockDurationMinutes !== undefined ? offering.CapacityBlockDurationMinutes / 60 : (end.getTime() - start.getTime()) / 3_600_000);
  return [
    {
      offeringId: id,
      instanceType: type,
      availabilityZone: zone,
      instanceCount: offering.InstanceCount ?? 0,
      startDate: start,
      endDate: end,
      durationHours,
      upfrontFee: fee,
      currency: offering.CurrencyCode ?? "USD",
    },
  ];
}

function toReservation(reservation: CapacityReservation): Reservation[] {
  if (!reservation.CapacityReservationId) return [];
  return [
    {
      reservationId: reservation.CapacityReservationId,
      instanceType: reservation.InstanceType ?? "unknown",
      availabilityZone: reservation.AvailabilityZone ?? "unknown",
      totalInstances: reservation.TotalInstanceCount ?? 0,
      availableInstances: reservation.AvailableInstanceCount ?? 0,
      state: reservation.State ?? "unknown",
      startDate: reservation.StartDate,
      endDate: reservation.EndDate,
      tags: Object.fromEntries((reservation.Tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? ""]] : []))),
    },
  ];
}

function decimal(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
