import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { environmentNewBlockTags } from "../../lib/tags";
import { capacityDurationHours, listOption, parseCommandLine, positiveInteger, requireOption, utcDate } from "../args";
import type { Offering } from "../capacity/ec2";
import { attachSnippet, offeringsJson, rankOfferings, renderOfferingsTable } from "../capacity/offerings";
import { demoRequested, ec2Source } from "../capacity/source";
import { DEMO_REGION, demoSource } from "../demo/account";
import { CliError, EXIT } from "../errors";
import { type CliIo, palette, progress, useColour } from "../io";
import { demoEnvironmentsDir } from "./capacity-status";
import { loadForCli } from "./environment";

const OPTIONS = {
  "instance-type": { type: "string", multiple: true },
  count: { type: "string" },
  duration: { type: "string" },
  region: { type: "string" },
  regions: { type: "string", multiple: true },
  env: { type: "string" },
  dir: { type: "string" },
  "start-after": { type: "string" },
  "end-before": { type: "string" },
  "availability-zone": { type: "string", multiple: true },
  limit: { type: "string" },
  json: { type: "boolean" },
  demo: { type: "boolean" },
} as const;

const COMMAND = "capacity offerings";

export async function runCapacityOfferings(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}"`);
  const instanceTypes = listOption(values["instance-type"]);
  // Name every missing required flag at once, so a first try doesn't take three round trips.
  const missing = [
    instanceTypes.length === 0 && "--instance-type",
    values.count === undefined && "--count",
    values.duration === undefined && "--duration",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CliError(
      `${COMMAND}: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} required, e.g. --instance-type p5.48xlarge --count 2 --duration 7d (see \`blockfleet ${COMMAND} --help\`)`,
    );
  }
  const unknownType = instanceTypes.find((type) => !(type in CAPACITY_BLOCK_INSTANCE_TYPES));
  if (unknownType) {
    throw new CliError(
      `${COMMAND}: --instance-type "${unknownType}" is not sold as a capacity block; known types: ${Object.keys(CAPACITY_BLOCK_INSTANCE_TYPES).join(", ")}`,
    );
  }
  const instanceCount = positiveInteger(COMMAND, "count", requireOption(COMMAND, "count", values.count));
  const durationHours = capacityDurationHours(COMMAND, requireOption(COMMAND, "duration", values.duration));
  const startAfter = values["start-after"] === undefined ? undefined : utcDate(COMMAND, "start-after", values["start-after"]);
  const endBefore = values["end-before"] === undefined ? undefined : utcDate(COMMAND, "end-before", values["end-before"]);
  if (startAfter && endBefore && endBefore.getTime() - startAfter.getTime() < durationHours * 3_600_000) {
    throw new CliError(
      `${COMMAND}: --start-after ${values["start-after"]} and --end-before ${values["end-before"]} leave less than the ${values.duration} duration`,
    );
  }
  const limit = values.limit === undefined ? 20 : positiveInteger(COMMAND, "limit", values.limit);
  const demo = demoRequested(values.demo, io.env);

  // Where to search: the environment's region and zones (--env), several regions (--regions), or one (--region).
  let regions = listOption(values.regions);
  let zones = listOption(values["availability-zone"]);
  let tags: Readonly<Record<string, string>> = {};
  if (values.env !== undefined) {
    if (regions.length > 0 || values.region !== undefined) throw new CliError(`${COMMAND}: --env sets the region; leave out --region/--regions`);
    const [environment] = await loadForCli(io, demo ? demoEnvironmentsDir(values.env, values.dir) : values.dir, [values.env]);
    if (!environment) throw new CliError(`no environment "${values.env}"`);
    const { region, availability_zones: envZones } = environment.config;
    const outside = zones.filter((zone) => !envZones.includes(zone));
    if (outside.length > 0)
      throw new CliError(`${COMMAND}: --availability-zone ${outside.join(", ")} is not among ${values.env}'s availability_zones (${envZones.join(", ")})`);
    regions = [region];
    zones = zones.length > 0 ? zones : [...envZones];
    // Karpenter's tag selection also requires the consumer tag, and reconcile may extend only reservations of its
    // own environment: a block bought with all of these is used and kept without a Terraform change.
    tags = environmentNewBlockTags(environment.name, environment.config) ?? {};
  } else if (regions.length === 0) {
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? (demo ? DEMO_REGION : undefined);
    if (!region) throw new CliError(`${COMMAND}: --region is required (or set AWS_REGION, or pass --env)`);
    regions = [region];
  } else if (values.region !== undefined) {
    regions = [...new Set([values.region, ...regions])];
  }

  const source = demo ? demoSource(io.now()) : ec2Source();
  const status = progress(io);
  let found: (Offering & { region: string })[];
  try {
    // Regions are searched at once; each region's types one after the other (EC2 throttles per region).
    const perRegion = await Promise.all(
      regions.map(async (region) =>
        (
          await source.searchOfferings(region, { instanceTypes, instanceCount, durationHours, startAfter, endBefore }, (message) =>
            status.update(`${region}: ${message}`),
          )
        ).map((offering) => ({ ...offering, region })),
      ),
    );
    found = perRegion.flat();
  } finally {
    status.done();
  }
  const ranked = rankOfferings(zones.length > 0 ? found.filter((offering) => zones.includes(offering.availabilityZone)) : found);
  const where = `${regions.join(", ")}${zones.length > 0 ? ` (${zones.join(", ")})` : ""}`;

  if (values.json) {
    io.stdout.write(`${JSON.stringify(offeringsJson(ranked, regions), null, 2)}\n`);
    return EXIT.ok;
  }
  const best = ranked[0];
  const account = demo ? ` [${source.label}]` : "";
  if (!best) {
    io.stdout.write(
      `No capacity block offerings for ${instanceCount} × ${instanceTypes.join(" or ")} for ${values.duration} in ${where}${account}.\n` +
        "Try another duration, fewer instances, a later --end-before, or another region.\n",
    );
    return EXIT.ok;
  }
  const colours = palette(useColour(io.stdout, io.env));
  const shown = ranked.slice(0, limit);
  io.stdout.write(
    `${colours.bold(`${ranked.length} offering${ranked.length === 1 ? "" : "s"} in ${where}`)}${account}, cheapest GPU-hour first, by GPU generation:\n\n`,
  );
  io.stdout.write(`${renderOfferingsTable(shown, colours, { showRegion: regions.length > 1 })}\n`);
  if (ranked.length > shown.length) io.stdout.write(colours.dim(`… ${ranked.length - shown.length} more (raise --limit or use --json)\n`));
  io.stdout.write(`\nTo attach offering #1 after buying it:\n\n${attachSnippet(best, best.region ?? regions[0]!, tags)}\n`);
  return EXIT.ok;
}
