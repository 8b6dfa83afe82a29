import type { z } from "zod";

/**
 * A refinement for a list of principal ARNs: each ARN once. A repeated principal is a mistake (a key policy or
 * resource policy lists it twice, EKS refuses a second access entry); the message names both positions.
 */
export function refuseDuplicatePrincipals(field: string, why: string) {
  return (arns: readonly string[], ctx: z.RefinementCtx): void => {
    arns.forEach((arn, index) => {
      const first = arns.indexOf(arn);
      if (first !== index) ctx.addIssue({ code: "custom", path: [index], message: `"${arn}" is already listed at ${field}[${first}]; ${why}` });
    });
  };
}
