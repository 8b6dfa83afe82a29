/**
 * What the pinned charts render once blockfleet's values are merged over their own defaults. The defaults are
 * excerpts of the charts' values.yaml at the pinned versions (__tests__/fixtures/charts, sources in SOURCES.md), so a
 * chart default that collides with what blockfleet creates elsewhere fails here instead of on a first apply.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadEnvironments } from "../../../../src/config/load";
import { PLATFORM_CHARTS } from "../../../../src/constructs/platform/charts";
import { baseEnvironmentInput, environmentFrom, issuesOf, type Synthesized, synthesize } from "../../../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: Helm values walked by key in assertions; the assertions check the values
type Values = Record<string, any>;

const FIXTURES = join(__dirname, "..", "..", "..", "fixtures", "charts");
const chartDefaults = (file: string): Values => parse(readFileSync(join(FIXTURES, file), "utf8")) as Values;
const LB_DEFAULTS = chartDefaults(`aws-load-balancer-controller-${PLATFORM_CHARTS.loadBalancerController.version}.values.yaml`);
const DCGM_DEFAULTS = chartDefaults(`dcgm-exporter-${PLATFORM_CHARTS.dcgmExporter.version}.values.yaml`);
const GPU_OPERATOR_DEFAULTS = chartDefaults(`gpu-operator-${PLATFORM_CHARTS.gpuOperator.version}.values.yaml`);

/** Helm's merge: maps merge key by key, anything else in the override replaces the default. */
function helmMerge(defaults: Values, override: Values): Values {
  const merged: Values = { ...defaults };
  for (const [key, value] of Object.entries(override)) {
    const base = merged[key];
    merged[key] =
      value && typeof value === "object" && !Array.isArray(value) && base && typeof base === "object" && !Array.isArray(base) ? helmMerge(base, value) : value;
  }
  return merged;
}

/** The ingress objects aws-load-balancer-controller 1.14.0 renders (templates/ingressclass.yaml, see SOURCES.md). */
function ingressObjectsRenderedBy(values: Values): string[] {
  if (!values["createIngressClassResource"]) return [];
  const params = values["ingressClassParams"] as Values;
  return [...(params["create"] ? [`IngressClassParams/${params["name"] ?? values["ingressClass"]}`] : []), `IngressClass/${values["ingressClass"]}`];
}

const releasesOf = (out: Synthesized, stack: string) => out.resources(stack, "helm_release");
const releaseOf = (out: Synthesized, stack: string, chart: string): Values => {
  const found = releasesOf(out, stack).find(([, body]) => body["chart"] === chart);
  if (!found) throw new Error(`no ${chart} release in ${stack}`);
  return found[1];
};
const valuesOf = (release: Values): Values => JSON.parse((release["values"] as string[])[0]!) as Values;

describe("pinned chart defaults against the shipped prod environment", () => {
  let prod: Synthesized;
  beforeAll(async () => {
    // GIVEN environments/prod.tfvars, which turns every platform part on
    prod = await synthesize(await loadEnvironments({ dir: "environments", names: ["prod"] }));
  });

  it("the chart renders neither the alb IngressClass nor its IngressClassParams: <env>-platform-manifests owns both", () => {
    const owned = prod
      .resources("prod-platform-manifests", "kubernetes_manifest")
      .map(([, body]) => body["manifest"] as Values)
      .map((manifest) => `${manifest["kind"]}/${manifest["metadata"]["name"]}`);
    expect(owned).toEqual(expect.arrayContaining(["IngressClassParams/alb", "IngressClass/alb"]));
    // The chart's defaults alone would create both: the collision this test exists for.
    expect(ingressObjectsRenderedBy(LB_DEFAULTS)).toEqual(["IngressClassParams/alb", "IngressClass/alb"]);
    // THEN with blockfleet's values merged in, each object has one owner
    const effective = helmMerge(LB_DEFAULTS, valuesOf(releaseOf(prod, "prod-platform-k8s", "aws-load-balancer-controller")));
    expect(ingressObjectsRenderedBy(effective)).toEqual([]);
    expect(effective["ingressClass"]).toBe("alb");
  });

  it("every other release waits for the load balancer controller, whose Service webhook fails closed", () => {
    // GIVEN the chart's Service mutating webhook: on, failurePolicy Fail, on CREATE of any Service but its own
    const effective = helmMerge(LB_DEFAULTS, valuesOf(releaseOf(prod, "prod-platform-k8s", "aws-load-balancer-controller")));
    expect(effective["enableServiceMutatorWebhook"]).toBe(true);
    expect(effective["serviceMutatorWebhookConfig"]).toMatchObject({ failurePolicy: "Fail", operations: ["CREATE"] });
    // THEN the controller's release waits for its pods (readiness includes the webhook server), and every release
    // that could create a Service is applied after it
    const [lbId, lbRelease] = releasesOf(prod, "prod-platform-k8s").find(([, body]) => body["chart"] === "aws-load-balancer-controller")!;
    expect(lbRelease).toMatchObject({ wait: true, atomic: true });
    expect(lbRelease["depends_on"]).toBeUndefined();
    const others = releasesOf(prod, "prod-platform-k8s").filter(([id]) => id !== lbId);
    expect(others.map(([, body]) => body["chart"]).sort()).toEqual([
      "aws-efa-k8s-device-plugin",
      "dcgm-exporter",
      "external-secrets",
      "nvidia-device-plugin",
      "reloader",
    ]);
    for (const [, release] of others)
      expect({ chart: release["chart"], dependsOn: release["depends_on"] }).toEqual({ chart: release["chart"], dependsOn: [`helm_release.${lbId}`] });
  });

  it("dcgm-exporter renders no ServiceMonitor, which its chart does by default", () => {
    expect(DCGM_DEFAULTS["serviceMonitor"]["enabled"]).toBe(true);
    const effective = helmMerge(DCGM_DEFAULTS, valuesOf(releaseOf(prod, "prod-platform-k8s", "dcgm-exporter")));
    expect(effective["serviceMonitor"]["enabled"]).toBe(false);
  });
});

describe("dcgm_service_monitor", () => {
  it("renders the ServiceMonitor only when the file says the Prometheus Operator CRDs are there", async () => {
    // GIVEN the standalone exporter and the GPU Operator's, each with the option on
    const out = await synthesize([
      environmentFrom("sm", { ...baseEnvironmentInput(), platform: { gpu: { dcgm_exporter: true, dcgm_service_monitor: true } } }),
      environmentFrom("op", {
        ...baseEnvironmentInput(),
        platform: { gpu: { gpu_operator: true, nvidia_device_plugin: false, dcgm_exporter: true, dcgm_service_monitor: true } },
      }),
      environmentFrom("opoff", { ...baseEnvironmentInput(), platform: { gpu: { gpu_operator: true, nvidia_device_plugin: false, dcgm_exporter: true } } }),
    ]);
    // THEN both render it, and the operator's default (off) stays off without the option
    expect(helmMerge(DCGM_DEFAULTS, valuesOf(releaseOf(out, "sm-platform-k8s", "dcgm-exporter")))["serviceMonitor"]["enabled"]).toBe(true);
    expect(helmMerge(GPU_OPERATOR_DEFAULTS, valuesOf(releaseOf(out, "op-platform-k8s", "gpu-operator")))["dcgmExporter"]["serviceMonitor"]["enabled"]).toBe(
      true,
    );
    expect(helmMerge(GPU_OPERATOR_DEFAULTS, valuesOf(releaseOf(out, "opoff-platform-k8s", "gpu-operator")))["dcgmExporter"]["serviceMonitor"]["enabled"]).toBe(
      false,
    );
  });

  it("fails when it is on without the exporter", async () => {
    const issues = await issuesOf({ ...baseEnvironmentInput(), platform: { gpu: { dcgm_service_monitor: true } } });
    expect(issues).toEqual([
      { path: "platform.gpu.dcgm_service_monitor", message: "a ServiceMonitor needs the exporter: set dcgm_exporter = true, or drop dcgm_service_monitor" },
    ]);
  });
});

describe("releases without the load balancer controller", () => {
  it("wait for nothing", async () => {
    const out = await synthesize([environmentFrom("nolb", { ...baseEnvironmentInput(), platform: { reloader: {}, gpu: { dcgm_exporter: true } } })]);
    const releases = releasesOf(out, "nolb-platform-k8s");
    expect(releases.length).toBeGreaterThan(0);
    for (const [, release] of releases) expect(release["depends_on"]).toBeUndefined();
  });
});
