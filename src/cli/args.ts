import { type ParseArgsConfig, parseArgs } from "node:util";
import { isSellableDurationHours } from "../lib/capacity-blocks/facts";
import { CliError, UnknownWordError } from "./errors";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/**
 * `util.parseArgs` in strict mode, with its errors turned into one line that names the command and points to its
 * help. Global flags (--help, --debug) are removed by the dispatcher before this runs.
 */
export function parseCommandLine<const T extends OptionSpecs>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = ((error as Error).message.split(/\.\s/)[0] ?? "").replace(/\.$/, "");
    const help = `(see \`blockfleet ${command} --help\`)`;
    const unknown = (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'(--?[^'=]+)/.exec(message)?.[1] : undefined;
    if (unknown?.startsWith("--")) {
      // The dispatcher adds "did you mean"; the global flags are known to every command.
      const known = [...Object.keys(options), "help", "debug"].map((name) => `--${name}`);
      throw new UnknownWordError(`${command}: ${message}`, ` ${help}`, [{ word: unknown, candidates: known }], (suggestion) => `did you mean ${suggestion}?`);
    }
    throw new CliError(`${command}: ${message} ${help}`);
  }
}

export function requireOption<V>(command: string, name: string, value: V | undefined): V {
  if (value === undefined || value === "") throw new CliError(`${command}: --${name} is required (see \`blockfleet ${command} --help\`)`);
  return value;
}

/** `p5.48xlarge,p5e.48xlarge` (or the flag repeated) → unique, trimmed, non-empty items in the given order. */
export function listOption(values: string | readonly string[] | undefined): string[] {
  const raw = typeof values === "string" ? [values] : (values ?? []);
  return [
    ...new Set(
      raw
        .flatMap((value) => value.split(","))
        .map((item) => item.trim())
        .filter((item) => item !== ""),
    ),
  ];
}

export function positiveInteger(command: string, name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`${command}: --${name} must be a whole number of 1 or more, got "${value}"`);
  return Number(value);
}

/**
 * Capacity block durations as EC2 sells them (isSellableDurationHours): whole days from 1 to 14, then whole weeks up
 * to 182 days. Accepts `7d`, `168h`, `2w`; returns hours.
 */
export function capacityDurationHours(command: string, value: string): number {
  const match = /^(\d+)\s*([hdw])$/i.exec(value.trim());
  const units: Record<string, number> = { h: 1, d: 24, w: 168 };
  const hours = match ? Number(match[1]) * (units[match[2]!.toLowerCase()] ?? 0) : Number.NaN;
  if (!isSellableDurationHours(hours)) {
    throw new CliError(`${command}: --duration must be whole days from 1d to 14d, or whole weeks up to 26w (182 days), like 7d or 4w; got "${value}"`);
  }
  return hours;
}

/** A UTC instant from `2026-12-01` (midnight UTC) or a full ISO 8601 date-time; a time without zone means UTC. */
export function utcDate(command: string, name: string, value: string): Date {
  const trimmed = value.trim();
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(trimmed)
    ? `${trimmed}T00:00:00Z`
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(trimmed)
      ? `${trimmed}Z`
      : trimmed;
  const date = new Date(withZone);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed) || Number.isNaN(date.getTime())) {
    throw new CliError(`${command}: --${name} must be a date like 2026-12-01 or 2026-12-01T11:30Z, got "${value}"`);
  }
  return date;
}
