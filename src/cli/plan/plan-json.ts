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
  before_sensitive: z.unknown().optional(),
  after_sensitive: z.unknown().optional(),
  replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  /** Present (an object, possibly empty) when the change also imports the resource (Terraform 1.5+). */
  importing: z.looseObject({ id: z.string().optional() }).nullable().optional(),
});

const resourceChangeSchema = z.looseObject({
  address: z.string(),
  /** Set when a `moved` block (or a cdktf move) gave the resource a new address in this plan. */
  previous_address: z.string().optional(),
  mode: z.string().optional(),
  type: z.string(),
  /** The change applies to a deposed object (left over from an interrupted create-before-destroy). */
  deposed: z.string().optional(),
  change: changeSchema,
  action_reason: z.string().optional(),
});

const deferredChangeSchema = z.looseObject({
  reason: z.string().optional(),
  resource_change: resourceChangeSchema,
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
  /** Changes made outside Terraform since the last apply, found while refreshing. */
  resource_drift: z.array(resourceChangeSchema).optional(),
  /** Changes Terraform could not plan yet (Terraform 1.9+ with deferrals); another plan and apply round follows. */
  deferred_changes: z.array(deferredChangeSchema).optional(),
  complete: z.boolean().optional(),
  errored: z.boolean().optional(),
  prior_state: z.looseObject({ values: z.looseObject({ root_module: stateModuleSchema.optional() }).optional() }).optional(),
  planned_values: z.looseObject({ root_module: stateModuleSchema.optional() }).optional(),
  configuration: z.looseObject({ root_module: z.looseObject({ resources: z.array(configurationResourceSchema).optional() }).optional() }).optional(),
});

export type TerraformPlan = z.infer<typeof planSchema>;
export type ResourceChange = z.infer<typeof resourceChangeSchema>;
export type DeferredChange = z.infer<typeof deferredChangeSchema>;

/**
 * Plan bytes as text. `terraform show -json > plan.json` in Windows PowerShell 5 writes UTF-16 LE with a byte-order
 * mark, PowerShell 7 and some editors UTF-8 with one; all of them, and UTF-16 without a mark (told apart by the NUL
 * byte beside the opening brace), are read as the JSON they hold.
 */
export function decodePlanBytes(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return buffer.subarray(3).toString("utf8");
  if (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.subarray(2).toString("utf16le");
  if (buffer.length >= 2 && buffer[0] === 0xfe && buffer[1] === 0xff) return utf16be(buffer.subarray(2));
  if (buffer.length >= 2 && buffer[0] !== 0 && buffer[1] === 0) return buffer.toString("utf16le");
  if (buffer.length >= 2 && buffer[0] === 0 && buffer[1] !== 0) return utf16be(buffer);
  return buffer.toString("utf8");
}

function utf16be(buffer: Buffer): string {
  const swapped = Buffer.alloc(buffer.length - (buffer.length % 2));
  for (let index = 0; index + 1 < buffer.length; index += 2) {
    swapped[index] = buffer[index + 1]!;
    swapped[index + 1] = buffer[index]!;
  }
  return swapped.toString("utf16le");
}

/** Parses plan JSON text; every failure is a CliError naming the source and what is wrong, in one line. */
export function parsePlanJson(text: string, source: string): TerraformPlan {
  let json: unknown;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    // A byte-order mark that survived decoding (stdin) is not part of the JSON.
    json = JSON.parse(body);
  } catch (error) {
    const binary = text.startsWith("PK\u0003\u0004");
    throw new CliError(
      binary
        ? `${source} is a binary plan file, not JSON; pass the output of \`terraform show -json <planfile>\``
        : `${source} is not JSON (${describeJsonError((error as Error).message, body)}); pass the output of \`terraform show -json <planfile>\`, not the binary plan file`,
    );
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new CliError(`${source} is not \`terraform show -json\` plan output: at ${path}: ${issue?.message ?? "unexpected shape"}`);
  }
  return parsed.data;
}

/**
 * Where and why JSON.parse gave up, without the excerpt of the input that V8 puts in its message: a cut-off plan can
 * break off inside a sensitive value, and an error line must never print one.
 */
export function describeJsonError(message: string, text: string): string {
  if (/Unexpected end of JSON input/.test(message)) return "it ends early: was the file cut off?";
  const token = /Unexpected token '(.)'/su.exec(message)?.[1];
  const position = Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  const what =
    token !== undefined
      ? `unexpected ${JSON.stringify(token)}`
      : /Unterminated string/.test(message)
        ? "a string never ends"
        : /non-whitespace character after JSON/.test(message)
          ? "more text after the JSON"
          : "invalid JSON";
  return Number.isNaN(position) ? what : `${what} at ${lineAndColumn(text, position)}`;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return `line ${line}, column ${position - before.lastIndexOf("\n")}`;
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
