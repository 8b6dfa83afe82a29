/**
 * Per-attribute differences of one resource change, the way `terraform plan` shows them: only what changes (all set
 * attributes for a create), sensitive values masked, unknown values as "(known after apply)", long values shortened.
 * Values are masked here, before anything is rendered, so no later step can print a sensitive value by mistake.
 */

export const SENSITIVE = "(sensitive value)";
export const KNOWN_AFTER_APPLY = "(known after apply)";
/** Longest value printed in full; longer ones keep their start and say how long they were. */
export const MAX_VALUE_CHARS = 80;

export interface AttributeDiff {
  /** `tags.Name`, `ingress[0].cidr_blocks`. */
  readonly path: string;
  /** `+` added, `-` removed, `~` changed. */
  readonly op: "+" | "-" | "~";
  /** Shown values, already masked and shortened; absent on the side that has none. */
  readonly before?: string;
  readonly after?: string;
  /** This attribute is why Terraform replaces the resource. */
  readonly forcesReplacement?: boolean;
}

export interface DiffInput {
  readonly before: unknown;
  readonly after: unknown;
  readonly afterUnknown: unknown;
  readonly beforeSensitive: unknown;
  readonly afterSensitive: unknown;
  readonly replacePaths: readonly (readonly (string | number)[])[];
}

type Step = string | number;

/** Recursion stops here and prints the rest of the value shortened, so a deep document can't explode the output. */
const MAX_DEPTH = 6;

export function attributeDiffs(input: DiffInput): AttributeDiff[] {
  const diffs: AttributeDiff[] = [];
  walk(input, [], 0, diffs);
  return diffs;
}

function walk(input: DiffInput, path: readonly Step[], depth: number, out: AttributeDiff[]): void {
  const before = at(input.before, path);
  const after = at(input.after, path);
  const beforeSensitive = maskAt(input.beforeSensitive, path);
  const afterSensitive = maskAt(input.afterSensitive, path);
  const unknown = maskAt(input.afterUnknown, path);
  if (beforeSensitive === true || afterSensitive === true) {
    // Nothing of a sensitive value is compared or printed: only that it is set and whether its shape changed.
    const hadValue = before !== undefined && before !== null;
    const hasValue = (after !== undefined && after !== null) || unknown === true;
    if (!hadValue && !hasValue) return;
    if (hadValue && hasValue && afterSensitive === true && beforeSensitive === true && unknown !== true && sameValue(before, after)) return;
    out.push(entry(path, hadValue ? SENSITIVE : undefined, hasValue ? SENSITIVE : undefined, input));
    return;
  }
  if (unknown === true) {
    out.push(entry(path, before === undefined || before === null ? undefined : show(before), KNOWN_AFTER_APPLY, input));
    return;
  }
  const containers = isContainer(before) || isContainer(after) || isContainer(unknown) || isContainer(afterSensitive) || isContainer(beforeSensitive);
  if (
    containers &&
    depth < MAX_DEPTH &&
    (isContainer(before) || before === undefined || before === null) &&
    (isContainer(after) || after === undefined || after === null)
  ) {
    for (const key of childKeys(before, after, unknown)) walk(input, [...path, key], depth + 1, out);
    return;
  }
  if (sameValue(before, after)) return;
  const had = before !== undefined && before !== null;
  const has = after !== undefined && after !== null;
  if (!had && !has) return;
  out.push(entry(path, had ? show(before) : undefined, has ? show(after) : undefined, input));
}

function entry(path: readonly Step[], before: string | undefined, after: string | undefined, input: DiffInput): AttributeDiff {
  const op = before === undefined ? "+" : after === undefined ? "-" : "~";
  const forces = input.replacePaths.some((replacePath) => startsWith(path, replacePath) || startsWith(replacePath, path));
  return {
    path: formatPath(path),
    op,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(forces ? { forcesReplacement: true } : {}),
  };
}

function startsWith(path: readonly Step[], prefix: readonly Step[]): boolean {
  return prefix.length > 0 && prefix.length <= path.length && prefix.every((step, index) => String(step) === String(path[index]));
}

export function formatPath(path: readonly Step[]): string {
  return (
    path
      .map((step, index) =>
        typeof step === "number" ? `[${step}]` : index === 0 ? step : /^[A-Za-z_][\w-]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`,
      )
      .join("") || "(value)"
  );
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

function at(value: unknown, path: readonly Step[]): unknown {
  let current = value;
  for (const step of path) {
    if (!isContainer(current)) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** A sensitivity/unknown mask at a path: `true` when the path or any parent is marked. */
function maskAt(mask: unknown, path: readonly Step[]): unknown {
  let current = mask;
  for (const step of path) {
    if (current === true) return true;
    if (!isContainer(current)) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

function childKeys(...values: unknown[]): Step[] {
  const keys: Step[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    if (Array.isArray(value)) {
      value.forEach((_, index) => {
        if (!seen.has(String(index))) keys.push(index);
        seen.add(String(index));
      });
    } else if (isContainer(value)) {
      for (const key of Object.keys(value)) {
        if (!seen.has(key)) keys.push(key);
        seen.add(key);
      }
    }
  }
  return keys;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as Terraform would print it, shortened: `"text"`, `42`, `true`, `["a","b"]`, first lines of a heredoc. */
export function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? "null");
  return shorten(text);
}

export function shorten(text: string, max = MAX_VALUE_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 20)}… (${text.length} chars)`;
}

/**
 * A copy of a value with every leaf its sensitivity mask marks removed, for code that reads attributes by name (the
 * DANGER rules, the capacity block details): what it can't see, it can't print.
 */
export function redact(value: unknown, mask: unknown): unknown {
  if (mask === true) return undefined;
  if (!isContainer(mask) || !isContainer(value)) return value;
  if (Array.isArray(value)) return value.map((item, index) => redact(item, (mask as unknown[])[index]));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item, (mask as Record<string, unknown>)[key])]));
}
