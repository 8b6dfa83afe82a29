import { GetParameterCommand, ParameterNotFound, type SSMClient } from "@aws-sdk/client-ssm";
import { z } from "zod";
import { DECLARED_DOCUMENT_VERSION, type DeclaredBlock } from "../domain/declared";
import { isSellableDurationHours, MAX_EXTEND_BEFORE_HOURS, MIN_EXTEND_BEFORE_HOURS } from "../domain/rules";
import type { DeclaredBlocksSource } from "../service/ports";

const nodeGroupSchema = z.strictObject({
  clusterName: z.string().min(1).max(100),
  nodegroupName: z.string().min(1).max(63),
  desiredSize: z.number().int().min(0).max(1000),
});

/** The document the cluster stack writes (src/constructs/capacity-manager/declared-blocks.ts), checked at the edge. */
const documentSchema = z.strictObject({
  version: z.literal(DECLARED_DOCUMENT_VERSION),
  blocks: z.array(
    z.strictObject({
      name: z.string().min(1),
      reservationId: z.string().regex(/^cr-[0-9a-f]{8,17}$/),
      instanceType: z.string().min(1),
      availabilityZone: z.string().min(1),
      instanceCount: z.number().int().min(1),
      nodeGroup: nodeGroupSchema.optional(),
      policy: z.strictObject({
        extendBeforeHours: z.number().int().min(MIN_EXTEND_BEFORE_HOURS).max(MAX_EXTEND_BEFORE_HOURS),
        extendByHours: z.number().refine(isSellableDurationHours, { error: "not a duration EC2 sells" }),
        requireApproval: z.boolean(),
        maxUpfrontFeeUsd: z.number().positive().optional(),
        allowReplacement: z.boolean().optional(),
        replacementAvailabilityZones: z.array(z.string().min(1)).min(1).optional(),
        replacementDurationHours: z.number().refine(isSellableDurationHours, { error: "not a duration EC2 sells" }).optional(),
      }),
    }),
  ),
});

/** A parameter that exists but cannot be used: nothing is synced from it (and the run says so). */
export class DeclaredBlocksInvalidError extends Error {
  constructor(parameterName: string, detail: string) {
    super(`declared blocks parameter ${parameterName} is not a version ${DECLARED_DOCUMENT_VERSION} document: ${detail}`);
    this.name = "DeclaredBlocksInvalidError";
  }
}

/** Reads the declared set from the SSM parameter Terraform owns; the manager never writes it. */
export class SsmDeclaredBlocks implements DeclaredBlocksSource {
  constructor(
    private readonly client: SSMClient,
    readonly parameterName: string,
  ) {}

  async read(): Promise<readonly DeclaredBlock[] | undefined> {
    let value: string | undefined;
    try {
      const out = await this.client.send(new GetParameterCommand({ Name: this.parameterName }));
      value = out.Parameter?.Value;
    } catch (error) {
      // Not deployed (yet): nothing is known about declared blocks, so nothing is created or released.
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
    if (value === undefined) throw new DeclaredBlocksInvalidError(this.parameterName, "it has no value");
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      throw new DeclaredBlocksInvalidError(this.parameterName, "its value is not JSON");
    }
    const parsed = documentSchema.safeParse(json);
    if (!parsed.success) {
      throw new DeclaredBlocksInvalidError(this.parameterName, parsed.error.issues.map((i) => `${i.path.join(".") || "document"}: ${i.message}`).join("; "));
    }
    return parsed.data.blocks as DeclaredBlock[];
  }
}
