/**
 * Bottlerocket user data (TOML) for Karpenter nodes: SOCI parallel pull, tuned per node kind. Karpenter merges it
 * with the cluster settings it generates itself.
 */

export interface SociPullProfile {
  readonly maxConcurrentDownloadsPerImage: number;
  /** Byte size string Bottlerocket accepts, e.g. "16mb". */
  readonly concurrentDownloadChunkSize: string;
  readonly maxConcurrentUnpacksPerImage: number;
}

/**
 * General nodes pull moderately sized images over modest links; GPU nodes pull 10+ GB ML images over 100+ Gbps
 * and have the cores to unpack in parallel.
 */
export const SOCI_PULL_PROFILES = {
  general: { maxConcurrentDownloadsPerImage: 10, concurrentDownloadChunkSize: "16mb", maxConcurrentUnpacksPerImage: 10 },
  gpu: { maxConcurrentDownloadsPerImage: 30, concurrentDownloadChunkSize: "32mb", maxConcurrentUnpacksPerImage: 30 },
} as const satisfies Record<string, SociPullProfile>;

/** Directories moved onto the RAID-0 of instance-store NVMe disks: images, SOCI's layer store, pod scratch and logs. */
export const INSTANCE_STORE_BOUND_DIRECTORIES = ["/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods", "/var/lib/soci-snapshotter"] as const;

export interface BottlerocketUserDataOptions {
  readonly soci: SociPullProfile;
  /** Bind container storage to the instance-store NVMe disks (the node must have them: the boot command is essential). */
  readonly bindContainerStorageToInstanceStore: boolean;
}

const tomlString = (value: string): string => JSON.stringify(value);
const tomlArray = (values: readonly string[]): string => `[${values.map(tomlString).join(", ")}]`;

export function bottlerocketUserData(options: BottlerocketUserDataOptions): string {
  const sections = [
    ["[settings.container-runtime]", `snapshotter = ${tomlString("soci")}`],
    ["[settings.container-runtime-plugins.soci-snapshotter]", `pull-mode = ${tomlString("parallel-pull-unpack")}`],
    [
      "[settings.container-runtime-plugins.soci-snapshotter.parallel-pull-unpack]",
      `max-concurrent-downloads-per-image = ${options.soci.maxConcurrentDownloadsPerImage}`,
      `concurrent-download-chunk-size = ${tomlString(options.soci.concurrentDownloadChunkSize)}`,
      `max-concurrent-unpacks-per-image = ${options.soci.maxConcurrentUnpacksPerImage}`,
      // Unpacked layers are all containerd needs; keeping the compressed copies would double disk use.
      "discard-unpacked-layers = true",
    ],
  ];
  if (options.bindContainerStorageToInstanceStore) {
    sections.push([
      // Not Karpenter's instanceStorePolicy: that binds fewer directories and leaves SOCI's store on EBS.
      "[settings.bootstrap-commands.k8s-ephemeral-storage]",
      `commands = [${tomlArray(["apiclient", "ephemeral-storage", "init"])}, ${tomlArray(["apiclient", "ephemeral-storage", "bind", "--dirs", ...INSTANCE_STORE_BOUND_DIRECTORIES])}]`,
      "essential = true",
      `mode = ${tomlString("always")}`,
    ]);
  }
  return `${sections.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}
