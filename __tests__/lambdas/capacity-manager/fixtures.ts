import type { CapacityRecord, ExtensionView, OfferingView, RecordSpec, ReservationView } from "../../../lambdas/capacity-manager/domain/types";

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** Block end used by most tests. */
export const END = new Date("2026-03-10T12:00:00.000Z");
export const END_ISO = END.toISOString();
export const at = (msBeforeEnd: number): Date => new Date(END.getTime() - msBeforeEnd);
export const RESERVATION_ID = "cr-0123456789abcdef0";

/** The owner's fields of a record (what POST / stores), auto-extending 24 h a day before the end. */
export function aSpec(overrides: Partial<RecordSpec> = {}): RecordSpec {
  return {
    PK: "env-123",
    capacityReservationId: RESERVATION_ID,
    instanceType: "p5.48xlarge",
    availabilityZone: "us-east-1a",
    platform: "Linux/UNIX",
    tenancy: "default",
    startDate: "2026-03-01T12:00:00.000Z",
    endDate: END_ISO,
    instanceCount: 2,
    extendBeforeHours: 24,
    extendByHours: 24,
    requireApproval: false,
    ...overrides,
  };
}

export function aRecord(overrides: Partial<CapacityRecord> = {}): CapacityRecord {
  return {
    ...aSpec(),
    approved: false,
    createdAt: "2026-02-01T00:00:00.000Z",
    updatedAt: "2026-02-01T00:00:00.000Z",
    status: "TRACKING",
    version: 3,
    ...overrides,
  };
}

export function aReservation(overrides: Partial<ReservationView> = {}): ReservationView {
  return {
    capacityReservationId: RESERVATION_ID,
    state: "active",
    reservationType: "capacity-block",
    startDate: "2026-03-01T12:00:00.000Z",
    endDate: END_ISO,
    instanceType: "p5.48xlarge",
    availabilityZone: "us-east-1a",
    instanceCount: 2,
    tenancy: "default",
    platform: "Linux/UNIX",
    ...overrides,
  };
}

export function anOffering(overrides: Partial<OfferingView> = {}): OfferingView {
  return {
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    currency: "USD",
    startDate: END_ISO,
    endDate: new Date(END.getTime() + 24 * HOUR).toISOString(),
    ...overrides,
  };
}

export function anExtension(overrides: Partial<ExtensionView> = {}): ExtensionView {
  return {
    capacityReservationId: RESERVATION_ID,
    offeringId: "cbeo-aaaa",
    status: "payment-pending",
    durationHours: 24,
    purchaseDate: at(20 * HOUR).toISOString(),
    startDate: END_ISO,
    endDate: new Date(END.getTime() + 24 * HOUR).toISOString(),
    feeUsd: 1000,
    ...overrides,
  };
}
