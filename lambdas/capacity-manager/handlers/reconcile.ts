import { z } from "zod";
import { loadConfig } from "../runtime/config";
import { type Logger, withLogContext } from "../runtime/log";
import type { Reconciler, ReconcileSummary } from "../service/reconciler";
import { createReconciler, createRuntime } from "./dependencies";

const scheduledEventSchema = z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") });

const RESERVATION_ID = /cr-[0-9a-f]{8,17}/;
const ec2EventSchema = z.object({
  source: z.literal("aws.ec2"),
  "detail-type": z.string().refine((t) => t.startsWith("Capacity Block") || t.startsWith("EC2 Capacity Reservation "), {
    error: "not a capacity block or capacity reservation event",
  }),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({ "capacity-reservation-id": z.string().optional(), "end-date": z.string().optional() }).optional(),
});

export type ReconcileRequest =
  | { readonly kind: "all" }
  | { readonly kind: "reservation"; readonly capacityReservationId: string; readonly expirationWarning?: { endDate?: string } }
  | { readonly kind: "ignored"; readonly reason: string };

/** Parses an EventBridge event: the schedule reconciles everything, an EC2 event its reservation. */
export function parseReconcileEvent(event: unknown): ReconcileRequest {
  if (scheduledEventSchema.safeParse(event).success) return { kind: "all" };
  const parsed = ec2EventSchema.safeParse(event);
  if (!parsed.success) return { kind: "ignored", reason: parsed.error.issues.map((i) => `${i.path.join(".") || "event"}: ${i.message}`).join("; ") };
  const e = parsed.data;
  const fromDetail = e.detail?.["capacity-reservation-id"];
  const id =
    (fromDetail && RESERVATION_ID.test(fromDetail) ? fromDetail : undefined) ??
    e.resources?.map((r) => RESERVATION_ID.exec(r)?.[0]).find((x) => x !== undefined);
  if (!id) return { kind: "ignored", reason: `${e["detail-type"]} event names no capacity reservation` };
  const warning = e["detail-type"].includes("Expiration Warning");
  const endDate = e.detail?.["end-date"];
  return { kind: "reservation", capacityReservationId: id, ...(warning ? { expirationWarning: endDate ? { endDate } : {} } : {}) };
}

export function createReconcileHandler(getReconciler: () => { reconciler: Reconciler; logger: Logger }) {
  return async (event: unknown): Promise<ReconcileSummary | { ignored: string }> => {
    const { reconciler, logger } = getReconciler();
    const request = parseReconcileEvent(event);
    switch (request.kind) {
      case "all":
        return reconciler.reconcileAll();
      case "reservation":
        logger.info("reconciling on event", {
          capacityReservationId: request.capacityReservationId,
          expirationWarning: request.expirationWarning !== undefined,
        });
        return reconciler.reconcileReservation(request.capacityReservationId, request.expirationWarning);
      case "ignored":
        logger.warn("event ignored", { reason: request.reason });
        return { ignored: request.reason };
    }
  };
}

let wired: { reconciler: Reconciler; logger: Logger } | undefined;

/** Wired once per container, on the first invocation. */
function wire() {
  if (!wired) {
    const runtime = createRuntime(loadConfig());
    wired = { reconciler: createReconciler(runtime), logger: runtime.logger };
  }
  return wired;
}

/** Lambda entry point (EventBridge schedule and EC2 capacity block events). */
export const handler = withLogContext(createReconcileHandler(wire), () => wire().logger);
