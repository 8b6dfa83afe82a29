import { CAPACITY_MANAGER_MODE_LINES, capacityManagerMode } from "../../config/capacity-manager-schema";
import type { EnvironmentConfig } from "../../config/schema";
import { capacityReservationTerms, NODE_POOL_NAMES } from "../../constructs/karpenter/manifests";
import { managerNewBlockTags } from "../../lib/tags";
import { parseCommandLine, requireOption } from "../args";
import { type CapacitySource, demoRequested, ec2Source } from "../capacity/source";
import { capacityStatus, LIVE_STATES, type NodePoolSelection, renderStatus, statusJson, warningCount } from "../capacity/status";
import { DEMO_ENVIRONMENT, DEMO_ENVIRONMENTS_DIR, demoSource } from "../demo/account";
import { CliError, EXIT } from "../errors";
import { type CliIo, palette, progress, terminalWidth, useColour } from "../io";
import { loadForCli } from "./environment";

const OPTIONS = {
  env: { type: "string" },
  dir: { type: "string" },
  json: { type: "boolean" },
  wide: { type: "boolean" },
  "fail-on-warning": { type: "boolean" },
  demo: { type: "boolean" },
} as const;

const COMMAND = "capacity status";

export async function runCapacityStatus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}" (use --env ${positionals[0]})`);
  const target = capacityTarget(COMMAND, io, values);
  const snapshot = await capacitySnapshot(io, target.environment, target.dir, target.source);
  const blocks = capacityStatus({ ...snapshot, now: io.now() });
  // Which manager mode acts on these blocks: tracking only (no purchases) or buying extensions.
  const mode = capacityManagerMode(snapshot.manager);
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ ...(statusJson(snapshot.environment, snapshot.region, blocks) as object), capacity_manager: { mode } }, null, 2)}\n`
      : `${renderStatus(snapshot.environment, snapshot.region, blocks, palette(useColour(io.stdout, io.env)), {
          width: terminalWidth(io),
          wide: values.wide === true,
        })}\n${CAPACITY_MANAGER_MODE_LINES[mode]}\n`,
  );
  return values["fail-on-warning"] === true && warningCount(blocks) > 0 ? EXIT.warnings : EXIT.ok;
}

/**
 * Which environment and account a capacity command reads: EC2 with --env, or the demo account (--demo or
 * BLOCKFLEET_DEMO=1) with the shipped demo environment unless --env/--dir name another.
 */
export function capacityTarget(
  command: string,
  io: CliIo,
  values: { env?: string; dir?: string; demo?: boolean },
): { environment: string; dir: string | undefined; source: CapacitySource } {
  if (demoRequested(values.demo, io.env)) {
    const environment = values.env ?? DEMO_ENVIRONMENT;
    return { environment, dir: demoEnvironmentsDir(environment, values.dir), source: demoSource(io.now()) };
  }
  return { environment: requireOption(command, "env", values.env), dir: values.dir, source: ec2Source() };
}

/** In demo mode the `demo` environment comes from the shipped demo folder unless --dir says otherwise. */
export function demoEnvironmentsDir(environment: string, dir: string | undefined): string | undefined {
  return dir ?? (environment === DEMO_ENVIRONMENT ? DEMO_ENVIRONMENTS_DIR : undefined);
}

/**
 * The node pool that launches into the environment's capacity blocks and its selector terms: Karpenter's
 * gpu-capacity-block pool, or on an EKS Auto Mode cluster the Auto Mode pool of that name, which selects the same
 * reservations. Absent when neither runs.
 */
export function capacityBlockPoolSelection(
  config: Pick<EnvironmentConfig, "capacity_blocks" | "karpenter" | "node_pools" | "cluster"> & Partial<Pick<EnvironmentConfig, "capacity_manager">>,
  environment?: string,
): NodePoolSelection | undefined {
  const { capacity_blocks: blocks, karpenter, node_pools: nodePools, cluster } = config;
  const poolRuns = (karpenter.enabled || cluster.auto_mode) && nodePools.gpu_capacity_block.enabled;
  // The same terms the pool stacks synthesize, including the one selecting the blocks the manager buys.
  const newBlockTags = environment === undefined ? undefined : managerNewBlockTags(environment, config);
  const terms = poolRuns ? capacityReservationTerms({ capacityBlocks: blocks, nodePools, ...(newBlockTags ? { newBlockTags } : {}) }) : [];
  if (terms.length === 0) return undefined;
  return { nodePool: cluster.auto_mode ? `${NODE_POOL_NAMES.gpuCapacityBlock} (EKS Auto Mode)` : NODE_POOL_NAMES.gpuCapacityBlock, terms };
}

/** The environment's blocks and what the account says about them and their extensions, read in as few calls as pages allow. */
export async function capacitySnapshot(io: CliIo, environment: string, dir: string | undefined, source: CapacitySource) {
  const [loaded] = await loadForCli(io, dir, [environment]);
  if (!loaded) throw new CliError(`no environment "${environment}"`);
  const { region, capacity_blocks: blocks } = loaded.config;
  const selection = capacityBlockPoolSelection(loaded.config, environment);
  const status = progress(io);
  try {
    const reservations = await source.listCapacityBlocks(region, status.update);
    const tracked = new Set(blocks.map((block) => block.reservation_id));
    // Only ids EC2 listed (an unknown id fails the whole call), and only blocks that are tracked or still live.
    const ids = reservations
      .filter((reservation) => tracked.has(reservation.reservationId) || LIVE_STATES.has(reservation.state))
      .map((reservation) => reservation.reservationId);
    const extensions = await source.listExtensions(region, ids, status.update);
    return {
      environment: loaded.name,
      region,
      blocks,
      karpenter: selection,
      reservations,
      extensions,
      source: source.label,
      manager: loaded.config.capacity_manager,
    };
  } finally {
    status.done();
  }
}
