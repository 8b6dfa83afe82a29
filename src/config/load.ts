/**
 * Reads environment files (tfvars HCL or tfvars JSON), validates them against the schema, and turns every problem
 * into an issue a person can act on: file, key path, what was expected, what was given. All issues at once.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { z } from "zod";
import { nameLimitProblems } from "../lib/naming";
import { projectRoot } from "../lib/paths";
import { MAX_FILE_BYTES, parseHclText, parseJsonText, SyntaxProblem } from "./guarded-parse";
import { type EnvironmentConfig, environmentSchema } from "./schema";

export interface LoadedEnvironment {
  /** Environment name, from the file name (`prod.tfvars` → `prod`). */
  readonly name: string;
  readonly file: string;
  readonly config: EnvironmentConfig;
}

export interface ConfigIssue {
  readonly file: string;
  /** Key path such as `capacity_blocks[0].reservation_id`; empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** The offending value, rendered as JSON, when there is one. */
  readonly received?: string;
  /** Line and column (1-based) of a syntax problem, when the parser could tell. */
  readonly line?: number;
  readonly column?: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(formatConfigIssues(issues));
    this.name = "ConfigError";
  }
}

const ENVIRONMENT_FILE = /^([a-z][a-z0-9-]{0,15})\.tfvars(\.json)?$/;

export function environmentNameOf(file: string): string | undefined {
  return ENVIRONMENT_FILE.exec(basename(file))?.[1];
}

/** Parses and validates one environment file's text. Never throws for bad input: returns the issues instead. */
export async function parseEnvironment(
  file: string,
  text: string,
): Promise<{ ok: true; environment: LoadedEnvironment } | { ok: false; issues: ConfigIssue[] }> {
  const name = environmentNameOf(file);
  if (!name) {
    return {
      ok: false,
      issues: [
        {
          file,
          path: "",
          message: "environment files are named <env>.tfvars or <env>.tfvars.json, <env> being 1-16 lower-case letters, digits or '-' starting with a letter",
        },
      ],
    };
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? parseJsonText(text) : await parseHcl(basename(file), text);
  } catch (error) {
    const problem = error instanceof SyntaxProblem ? error : new SyntaxProblem((error as Error).message.split("\n")[0]!);
    return { ok: false, issues: [{ file, path: "", message: `cannot be parsed: ${problem.message}`, line: problem.line, column: problem.column }] };
  }
  const expressions = templateIssues(file, raw);
  const result = environmentSchema.safeParse(raw);
  if (!result.success || expressions.length > 0) {
    // A value holding an expression is blamed for that alone, not again for the shape the expression doesn't have.
    const blamed = new Set(expressions.map((issue) => issue.path));
    const schemaIssues = result.success ? [] : toConfigIssues(file, raw, result.error).filter((issue) => !blamed.has(issue.path));
    return { ok: false, issues: [...expressions, ...schemaIssues] };
  }
  const names = physicalNameIssues(file, name, result.data);
  if (names.length > 0) return { ok: false, issues: names };
  return { ok: true, environment: { name, file, config: result.data } };
}

/**
 * Names that would be longer than AWS allows, blamed on what makes them long: the environment name (the file name)
 * or a capacity block's name, with the longest value that fits. One issue per input, for its tightest name.
 */
function physicalNameIssues(file: string, environment: string, config: EnvironmentConfig): ConfigIssue[] {
  const tightest = new Map<string, ReturnType<typeof nameLimitProblems>[number]>();
  for (const problem of nameLimitProblems(environment, config)) {
    const key = problem.planned.grows.with === "environment" ? "" : formatPath(["capacity_blocks", problem.planned.grows.index, "name"]);
    const known = tightest.get(key);
    if (!known || problem.longestInput < known.longestInput) tightest.set(key, problem);
  }
  return [...tightest].map(([path, { planned, limit, longestInput }]) => {
    const because = `it makes ${planned.kind} "${planned.name}" ${planned.name.length} characters, and AWS allows ${limit}`;
    const grows = planned.grows;
    return grows.with === "environment"
      ? {
          file,
          path,
          message: `the environment name "${environment}" (from the file name) is too long: ${because}; with this file's settings the longest environment name is ${longestInput} characters`,
        }
      : {
          file,
          path,
          message: `too long: ${because}; the longest name that fits is ${longestInput} characters`,
          received: renderValue(config.capacity_blocks[grows.index]!.name),
        };
  });
}

/**
 * Every string (and map key) holding `${` or `%{`: the synthesized JSON carries it to Terraform, which would evaluate
 * it as an expression (`file()`, references to other resources). Environment files hold literal values only.
 */
function templateIssues(file: string, raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (typeof node === "string") {
      const marker = TEMPLATE_MARKER.exec(node)?.[0];
      if (marker)
        issues.push({
          file,
          path: formatPath(path),
          message: `"${marker}" starts a Terraform template expression, which Terraform would evaluate; environment files take literal values only`,
          received: renderValue(node),
        });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        const marker = TEMPLATE_MARKER.exec(key)?.[0];
        if (marker)
          issues.push({
            file,
            path: formatPath([...path, key]),
            message: `"${marker}" in a key starts a Terraform template expression, which Terraform would evaluate; environment files take literal values only`,
          });
        visit(value, [...path, key]);
      }
    }
  };
  visit(raw, []);
  return issues;
}

const TEMPLATE_MARKER = /[$%]\{/;

/**
 * HCL → JSON. The parser is WebAssembly and costs more to start than the rest of a synth, so results are cached by
 * the text's hash (a cache of derived data: deleting it only costs time).
 */
async function parseHcl(fileName: string, text: string): Promise<unknown> {
  const cacheFile = join(projectRoot(), "node_modules", ".cache", "blockfleet", "tfvars", `${createHash("sha256").update(text).digest("hex")}.json`);
  const cached = await readFile(cacheFile, "utf8").catch(() => undefined);
  if (cached !== undefined) return JSON.parse(cached);
  const parsed = await parseHclText(fileName, text);
  await mkdir(dirname(cacheFile), { recursive: true })
    .then(() => writeFile(`${cacheFile}.${process.pid}`, JSON.stringify(parsed)))
    .then(() => rename(`${cacheFile}.${process.pid}`, cacheFile))
    .catch(() => undefined);
  return parsed;
}

/** Loads the named environments (all `*.tfvars[.json]` in dir when names is empty). Throws ConfigError listing every issue. */
export async function loadEnvironments(options: { readonly dir: string; readonly names?: readonly string[] }): Promise<LoadedEnvironment[]> {
  const files = (await readdir(options.dir))
    .filter((entry) => ENVIRONMENT_FILE.test(entry) || entry.endsWith(".tfvars") || entry.endsWith(".tfvars.json"))
    .sort();
  const available = new Map(files.map((entry) => [environmentNameOf(entry) ?? entry, entry]));
  const wanted = options.names && options.names.length > 0 ? [...options.names] : [...available.keys()];
  const issues: ConfigIssue[] = [];
  const environments: LoadedEnvironment[] = [];
  for (const name of wanted) {
    const entry = available.get(name);
    if (!entry) {
      issues.push({
        file: join(options.dir, `${name}.tfvars`),
        path: "",
        message: `no such environment; available: ${[...available.keys()].join(", ") || "none"}`,
      });
      continue;
    }
    const file = join(options.dir, entry);
    const { size } = await stat(file);
    if (size > MAX_FILE_BYTES) {
      issues.push({ file, path: "", message: `cannot be parsed: file is ${size} bytes; environment files are limited to ${MAX_FILE_BYTES} bytes` });
      continue;
    }
    const result = await parseEnvironment(file, await readFile(file, "utf8"));
    if (result.ok) environments.push(result.environment);
    else issues.push(...result.issues);
  }
  if (wanted.length === 0) issues.push({ file: options.dir, path: "", message: "no environment files (<env>.tfvars) found" });
  if (issues.length > 0) throw new ConfigError(issues);
  return environments;
}

export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => {
    const at = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}${issue.column === undefined ? "" : `:${issue.column}`}`;
    const where = issue.path ? `${at}: ${issue.path}` : at;
    const given = issue.received === undefined ? "" : ` (got ${issue.received})`;
    return `  ${where}: ${issue.message}${given}`;
  });
  return `${issues.length} problem${issues.length === 1 ? "" : "s"} in environment configuration:\n${lines.join("\n")}`;
}

/** `capacity_blocks[0].name`; keys that aren't plain identifiers are quoted (`tags["team name"]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    const name = String(key);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) return `${text}[${JSON.stringify(name)}]`;
    return text ? `${text}.${name}` : name;
  }, "");
}

function toConfigIssues(file: string, raw: unknown, error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const known = knownKeysAt(raw, issue.path);
        const suggestion = closest(key, known);
        return {
          file,
          path: formatPath([...issue.path, key]),
          message: `unknown key${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; expected one of ${known.join(", ")}` : ""}`,
        };
      });
    }
    const value = valueAt(raw, issue.path);
    const message = issue.code === "invalid_type" && value === undefined ? `required: ${issue.message.replace(/, received undefined$/, "")}` : issue.message;
    return [{ file, path: formatPath(issue.path), message, received: value === undefined ? undefined : renderValue(value) }];
  });
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" && Object.hasOwn(node, key) ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    raw,
  );
}

function renderValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Keys the schema accepts for the object at path, found by walking the schema alongside the data. */
function knownKeysAt(_raw: unknown, path: readonly PropertyKey[]): string[] {
  let node: unknown = environmentSchema;
  for (const key of [...path, undefined]) {
    node = unwrap(node);
    const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return [];
    if (key === undefined) return def.type === "object" ? Object.keys(def.shape as object) : [];
    if (def.type === "object") node = Object.hasOwn(def.shape as object, String(key)) ? (def.shape as Record<string, unknown>)[String(key)] : undefined;
    else if (def.type === "array") node = def.element;
    else if (def.type === "record") node = def.valueType;
    else return [];
  }
  return [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def?: Record<string, unknown> } } | undefined;
  for (;;) {
    const def = current?._zod?.def;
    if (!def) return current;
    if (def.type === "default" || def.type === "optional" || def.type === "nullable" || def.type === "prefault" || def.type === "readonly")
      current = def.innerType as typeof current;
    else if (def.type === "pipe") current = def.in as typeof current;
    else return current;
  }
}

/** The known key within edit distance 2 (or a third of its length) of the unknown one, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= Math.max(2, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
