/** The replacement policy is money policy: loosening it is an approver's action (PATCH), tightening anyone's (PUT). */
import { describe, expect, it } from "vitest";
import { DomainError } from "../../../../lambdas/capacity-manager/domain/errors";
import { approveRecord, updateRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { aRecord, at, END_ISO, HOUR } from "../fixtures";

const NOW = at(30 * HOUR);
const APPROVER = "arn:aws:iam::111122223333:role/approver";

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("replacement policy fields (PUT tightens, PATCH loosens)", () => {
  it.each([
    ["turning replacement on", { allowReplacement: true }, "allowReplacement"],
    ["a zone beyond the block's own", { replacementAvailabilityZones: ["us-east-1a", "us-east-1b"] }, "replacementAvailabilityZones"],
    ["a longer replacement", { replacementDurationHours: 336 }, "replacementDurationHours"],
  ])("fails when PUT loosens by %s (approver's action, names the field and PATCH)", (_name, patch, field) => {
    const error = refusal(() => updateRecord(aRecord({ allowReplacement: false }), patch, NOW, "writer"));
    expect(error.code).toBe("APPROVER_REQUIRED");
    expect(error.field).toBe(field);
    expect(error.message).toContain(`${field}:`);
    expect(error.message).toContain("PATCH /env-123");
  });

  it.each([
    ["turning replacement off", aRecord({ allowReplacement: true }), { allowReplacement: false }],
    [
      "fewer zones",
      aRecord({ allowReplacement: true, replacementAvailabilityZones: ["us-east-1a", "us-east-1b"] }),
      { replacementAvailabilityZones: ["us-east-1b"] },
    ],
    ["the block's own zone, listed", aRecord({ allowReplacement: true }), { replacementAvailabilityZones: ["us-east-1a"] }],
    ["a shorter replacement", aRecord({ allowReplacement: true }), { replacementDurationHours: 72 }],
  ])("GIVEN PUT tightens by %s THEN it is applied", (_name, record, patch) => {
    expect(updateRecord(record, patch, NOW, "writer").changes).toMatchObject(patch);
  });

  it("GIVEN an approver PATCHes replacement on with zones and duration THEN applied and recorded as a policy change", () => {
    const mutation = approveRecord(aRecord({ maxUpfrontFeeUsd: 50_000 }), APPROVER, NOW, {
      allowReplacement: true,
      replacementAvailabilityZones: ["us-east-1a", "us-east-1c"],
      replacementDurationHours: 336,
    });
    expect(mutation.changes).toMatchObject({
      allowReplacement: true,
      replacementAvailabilityZones: ["us-east-1a", "us-east-1c"],
      replacementDurationHours: 336,
    });
    const policy = mutation.history.find((h) => h.kind === "POLICY_CHANGED");
    expect(policy?.approvedBy).toBe(APPROVER);
    expect(policy?.detail).toContain("allowReplacement");
    expect(policy?.detail).toContain("replacementAvailabilityZones");
  });

  it("GIVEN a pending replacement proposal THEN PATCH approves exactly that offering and says it is a new block", () => {
    const proposal = {
      offeringId: "cb-0000000000000000a",
      durationHours: 168,
      feeUsd: 40_000,
      forEndDate: END_ISO,
      newEndDate: "2026-03-17T12:00:00.000Z",
      approveBy: at(13 * HOUR).toISOString(),
      proposedAt: NOW.toISOString(),
      replacement: {
        availabilityZone: "us-east-1a",
        instanceType: "p5.48xlarge",
        instanceCount: 2,
        startDate: END_ISO,
        endDate: "2026-03-17T12:00:00.000Z",
        gapHours: 0,
      },
    };
    const record = aRecord({ requireApproval: true, allowReplacement: true, status: "AWAITING_APPROVAL", proposal });
    const mutation = approveRecord(record, APPROVER, NOW);
    expect(mutation.changes.approval).toMatchObject({ offeringId: "cb-0000000000000000a", maxFeeUsd: 40_000, durationHours: 168, forEndDate: END_ISO });
    expect(mutation.appliesTo.message).toContain("approves the pending replacement: a new 168 h block in us-east-1a");
  });

  it("GIVEN replacement turned off while a replacement is proposed THEN the proposal is withdrawn", () => {
    const proposal = {
      offeringId: "cb-a",
      durationHours: 168,
      feeUsd: 40_000,
      forEndDate: END_ISO,
      newEndDate: "2026-03-17T12:00:00.000Z",
      approveBy: at(13 * HOUR).toISOString(),
      proposedAt: NOW.toISOString(),
      replacement: {
        availabilityZone: "us-east-1a",
        instanceType: "p5.48xlarge",
        instanceCount: 2,
        startDate: END_ISO,
        endDate: "2026-03-17T12:00:00.000Z",
        gapHours: 0,
      },
    };
    const record = aRecord({ requireApproval: true, allowReplacement: true, status: "AWAITING_APPROVAL", proposal });
    expect(updateRecord(record, { allowReplacement: false }, NOW, "writer").changes).toMatchObject({ proposal: null, status: "TRACKING" });
  });
});
