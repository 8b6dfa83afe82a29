import { App } from "cdktf";
import type { LoadedEnvironment } from "../src/config/load";
import { warningsOf } from "../src/lib/annotations";
import { AutoModePoolsStack } from "./auto-mode-pools-stack";
import { BootstrapStack } from "./bootstrap-stack";
import { CapacityManagerStack } from "./capacity-manager-stack";
import { ClusterStack } from "./cluster-stack";
import { KarpenterPoolsStack } from "./karpenter-pools-stack";
import { KarpenterStack } from "./karpenter-stack";
import { addPlatformStacks } from "./platform-stack";

export interface BuildAppOptions {
  readonly outdir: string;
}

/**
 * Wires every environment's stacks into one cdktf App. Stacks only wire constructs; order between an environment's
 * stacks is declared with addDependency so `cdktf deploy '<env>-*'` runs them in order.
 */
export function buildApp(environments: readonly LoadedEnvironment[], options: BuildAppOptions): App {
  // No stack traces in annotations: the manifest stays free of this machine's paths.
  const app = new App({ outdir: options.outdir, skipValidation: false, stackTraces: false });
  for (const { name, config } of environments) {
    const props = { environment: name, config };
    const bootstrap = new BootstrapStack(app, props);
    const cluster = new ClusterStack(app, props);
    // Every remote-state stack needs the bucket the bootstrap stack creates.
    cluster.addDependency(bootstrap);
    if (config.karpenter.enabled) {
      // Helm needs the cluster's nodes; the node pools need the CRDs the Helm release installs.
      const karpenter = new KarpenterStack(app, props);
      karpenter.addDependency(cluster);
      const karpenterPools = new KarpenterPoolsStack(app, props);
      karpenterPools.addDependency(karpenter);
    }
    if (config.cluster.auto_mode) {
      // Auto Mode's CRDs come with the cluster: the node pools follow it directly.
      new AutoModePoolsStack(app, props).addDependency(cluster);
    }
    if (config.capacity_manager) {
      // Scales the cluster's node groups, so it deploys after them.
      const capacityManager = new CapacityManagerStack(app, { ...props, manager: config.capacity_manager });
      capacityManager.addDependency(cluster);
    }
    if (config.platform) {
      // <env>-platform, <env>-platform-k8s, <env>-platform-manifests, each after the one before.
      addPlatformStacks(app, { ...props, platform: config.platform }, cluster);
    }
  }
  return app;
}

/**
 * Warnings constructs raised about their configuration (e.g. a weaker auth mode chosen on purpose) as cdktf
 * annotations, for synth to print.
 */
export function appWarnings(app: App): string[] {
  return warningsOf(app);
}
