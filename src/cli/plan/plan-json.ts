import { z } from "zod";
import { CliError } from "../errors";

/**
 * The part of `terraform show -json <planfile>` (format 1.x) that plan-summary reads. Objects stay loose: Terraform
 * adds fields between releases and a summary must not break on them. Resource attribute values stay `unknown` and
 * are read through the small accessors below.
 */
const changeSchema = z.looseObject({
  actions: z.array(z.string()).min(1),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: z.unknown().optional(),
  replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
});

const resourceChangeSchema = z.looseObject({
  address: z.string(),
  mode: z.string().optional(),
  type: z.string(),
  change: changeSchema,
  action_reason: z.string().optional(),
});

interface StateModule {
  readonly resources?: readonly StateResource[];
  readonly child_modules?: readonly StateModule[];
}

interface StateResource {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly values?: unknown;
}

const stateResourceSchema = z.looseObject({
  address: z.string(),
  mode: z.string().optional(),
  type: z.string(),
  values: z.unknown().optional(),
});

const stateModuleSchema: z.ZodType<StateModule> = z.lazy(() =>
  z.looseObject({
    resources: z.array(stateResourceSchema).optional(),
    child_modules: z.array(stateModuleSchema).optional(),
  }),
);

const configurationResourceSchema = z.looseObject({
  address: z.string(),
  expressions: z.record(z.string(), z.unknown()).optional(),
});

const planSchema = z.looseObject({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  resource_changes: z.array(resourceChangeSchema).optional(),
  prior_state: z.looseObject({ values: z.looseObject({ root_module: stateModuleSchema.optional() }).optional() }).optional(),
  planned_values: z.looseObject({ root_module: stateModuleSchema.optional() }).optional(),
  configuration: z
    .looseObject({ root_module: z.looseObject({ resources: z.array(configurationResourceSchema).optional() }).optional() })
    .optional(),
});

export type TerraformPlan = z.infer<typeof planSchema>;
export type ResourceChange = z.infer<typeof resourceChangeSchema>;

/** Parses plan JSON text; every failure is a CliError naming the source and what is wrong, in one line. */
export function parsePlanJson(text: string, source: string): TerraformPlan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `${source} is not JSON (${(error as Error).message}); pass the output of \`terraform show -json <planfile>\`, not the binary plan file`,
    );
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new CliError(
      `${source} is not \`terraform show -json\` plan output: at ${path}: ${issue?.message ?? "unexpected shape"}`,
    );
  }
  return parsed.data;
}

/** All data and managed resources recorded in a module tree, children included. */
export function stateResources(module: StateModule | undefined): StateResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(stateResources)];
}

/** The root-module resource addresses an attribute's expression refers to (`data.x.y.attr`, `data.x.y`). */
export function expressionReferences(plan: TerraformPlan, address: string, attribute: string): string[] {
  const resource = plan.configuration?.root_module?.resources?.find((candidate) => candidate.address === address);
  const expression = resource?.expressions?.[attribute];
  if (typeof expression !== "object" || expression === null) return [];
  const references = (expression as { references?: unknown }).references;
  return Array.isArray(references) ? references.filter((reference): reference is string => typeof reference === "string") : [];
}

/** A plain attribute from a resource's before/after object; undefined when absent, null or not a plain value. */
export function attribute(values: unknown, key: string): string | number | boolean | undefined {
  if (typeof values !== "object" || values === null) return undefined;
  const value = (values as Record<string, unknown>)[key];
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : undefined;
}

/** A plain attribute as text (numbers and booleans stringified, as Terraform shows them); undefined when absent. */
export function attributeText(values: unknown, key: string): string | undefined {
  const value = attribute(values, key);
  return value === undefined ? undefined : String(value);
}

/** A numeric attribute, also when the provider reports it as a decimal string (e.g. `upfront_fee`). */
export function attributeNumber(values: unknown, key: string): number | undefined {
  const text = attributeText(values, key);
  const value = Number(text);
  return text !== undefined && text.trim() !== "" && Number.isFinite(value) ? value : undefined;
}

/** A string map attribute such as `tags`; empty when absent. */
export function stringMap(values: unknown, key: string): Record<string, string> {
  if (typeof values !== "object" || values === null) return {};
  const value = (values as Record<string, unknown>)[key];
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
