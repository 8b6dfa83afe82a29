import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ALB_SSL_POLICY,
  albIngressClass,
  albIngressClassParams,
  CLUSTER_SECRET_STORE,
  clusterSecretStore,
  externalSecrets,
  type KubernetesObject,
} from "../../../../src/constructs/platform/manifests";
import { platformSecretNames } from "../../../../src/constructs/platform/secrets";
import { esoCrdErrors } from "./eso-crd-validation";

/**
 * Strict shapes of the External Secrets v1 and ALB fields blockfleet writes, from the CRDs: unlike the schema
 * package (which lets unknown keys through), a misspelt field fails here.
 */
const metadata = z.strictObject({ name: z.string().min(1), namespace: z.string().min(1).optional(), labels: z.record(z.string(), z.string()).optional() });
const duration = z.string().regex(/^(\d+(ns|us|µs|ms|s|m|h))+$/);
const externalSecretSchema = z.strictObject({
  apiVersion: z.literal("external-secrets.io/v1"),
  kind: z.literal("ExternalSecret"),
  metadata,
  spec: z.strictObject({
    refreshInterval: duration,
    secretStoreRef: z.strictObject({ name: z.string(), kind: z.enum(["SecretStore", "ClusterSecretStore"]) }),
    target: z.strictObject({ name: z.string(), creationPolicy: z.enum(["Owner", "Orphan", "Merge", "None"]) }),
    data: z
      .array(z.strictObject({ secretKey: z.string().min(1), remoteRef: z.strictObject({ key: z.string().min(1), property: z.string().min(1).optional() }) }))
      .min(1),
  }),
});
const clusterSecretStoreSchema = z.strictObject({
  apiVersion: z.literal("external-secrets.io/v1"),
  kind: z.literal("ClusterSecretStore"),
  metadata,
  spec: z.strictObject({
    provider: z.strictObject({ aws: z.strictObject({ service: z.enum(["SecretsManager", "ParameterStore"]), region: z.string() }) }),
    conditions: z.array(z.strictObject({ namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)).min(1) })).min(1),
  }),
});
const ingressClassParamsSchema = z.strictObject({
  apiVersion: z.literal("elbv2.k8s.aws/v1beta1"),
  kind: z.literal("IngressClassParams"),
  metadata,
  spec: z.strictObject({
    scheme: z.enum(["internal", "internet-facing"]),
    ipAddressType: z.enum(["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
    certificateArn: z.array(z.string().startsWith("arn:")).min(1),
    sslPolicy: z.string().min(1),
    loadBalancerAttributes: z.array(z.strictObject({ key: z.string(), value: z.string() })),
  }),
});

const names = platformSecretNames("prod");
const MASTER = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-AbCdEf";
const everything = externalSecrets({ namespace: "ml-platform", secretNames: names, databaseMasterSecretArn: MASTER });
const byName = (objects: readonly KubernetesObject[], name: string) => objects.find((object) => object.metadata.name === name)!;

describe("External Secrets manifests", () => {
  it("validate against the External Secrets 2.0.1 v1 CRDs and the strict shapes", () => {
    const store = clusterSecretStore({ region: "us-east-1", namespaces: ["ml-platform"] });
    expect(esoCrdErrors(store)).toEqual([]);
    expect(clusterSecretStoreSchema.safeParse(store).error?.issues ?? []).toEqual([]);
    expect(everything).toHaveLength(4);
    for (const object of everything) {
      expect(esoCrdErrors(object), object.metadata.name).toEqual([]);
      expect(externalSecretSchema.safeParse(object).error?.issues ?? [], object.metadata.name).toEqual([]);
    }
  });

  it("rejects a misspelt field, both against the CRD and the strict shape", () => {
    // GIVEN an ExternalSecret with a typo  WHEN validated  THEN the CRD check and the strict shape name it
    const misspelt = structuredClone(everything[0]!) as unknown as { spec: Record<string, unknown> };
    misspelt.spec["refreshIntervall"] = "1h";
    expect(esoCrdErrors(misspelt)).toEqual(["/spec: must NOT have additional properties (refreshIntervall)"]);
    expect(externalSecretSchema.safeParse(misspelt).error?.issues.map((issue) => issue.message)).toEqual([
      expect.stringMatching(/Unrecognized key: "refreshIntervall"/),
    ]);
  });

  it("reads with the controller's own Pod Identity credentials (no auth block, no static keys), for the platform's namespace only", () => {
    // GIVEN the store can read the database master password  THEN only ExternalSecrets in the platform namespace may use it
    expect(clusterSecretStore({ region: "eu-west-1", namespaces: ["ml-platform"] }).spec).toEqual({
      provider: { aws: { service: "SecretsManager", region: "eu-west-1" } },
      conditions: [{ namespaces: ["ml-platform"] }],
    });
  });

  it("fails when the store would be open to no namespace", () => {
    expect(() => clusterSecretStore({ region: "eu-west-1", namespaces: [] })).toThrow(
      "cluster secret store: namespaces must name who may use the store, got []",
    );
  });

  it("refresh database credentials every 3 minutes and everything else hourly, all from the cluster store", () => {
    expect(everything.map((object) => [object.metadata.name, object.spec["refreshInterval"]])).toEqual([
      ["platform-database", "3m"],
      ["platform-storage", "1h"],
      ["platform-redis", "1h"],
      ["platform-auth", "1h"],
    ]);
    for (const object of everything) {
      expect(object.metadata.namespace).toBe("ml-platform");
      expect(object.spec["secretStoreRef"]).toEqual({ name: CLUSTER_SECRET_STORE, kind: "ClusterSecretStore" });
    }
  });

  it("take the credentials from the RDS-managed secret and the location from <env>/rds/connection", () => {
    expect(byName(everything, "platform-database").spec["data"]).toEqual([
      { secretKey: "dbUsername", remoteRef: { key: MASTER, property: "username" } },
      { secretKey: "dbPassword", remoteRef: { key: MASTER, property: "password" } },
      { secretKey: "dbHost", remoteRef: { key: "prod/rds/connection", property: "endpoint" } },
      { secretKey: "dbPort", remoteRef: { key: "prod/rds/connection", property: "port" } },
      { secretKey: "dbName", remoteRef: { key: "prod/rds/connection", property: "database_name" } },
    ]);
    expect(byName(everything, "platform-auth").spec["data"]).toEqual([
      { secretKey: "oidcProviders", remoteRef: { key: "prod/oidc_secret" } },
      { secretKey: "cookiesSecret", remoteRef: { key: "prod/cookies-secret" } },
    ]);
  });

  it("sync only the secrets that exist", () => {
    const storageOnly = externalSecrets({ namespace: "ml", secretNames: { storage: names.storage } });
    expect(storageOnly.map((object) => object.metadata.name)).toEqual(["platform-storage"]);
    expect(externalSecrets({ namespace: "ml", secretNames: { databaseConnection: names.databaseConnection } })).toEqual([]);
  });
});

describe("ALB ingress class", () => {
  it("sets the scheme, the certificate and the TLS 1.3 policy, and drops invalid headers", () => {
    const params = albIngressClassParams({ certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abc", scheme: "internal" });
    expect(ingressClassParamsSchema.safeParse(params).error?.issues ?? []).toEqual([]);
    expect(params.spec).toMatchObject({
      scheme: "internal",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn: ["arn:aws:acm:us-east-1:111122223333:certificate/abc"],
    });
    expect(params.spec["sslPolicy"]).toBe(ALB_SSL_POLICY);
    expect(params.spec["loadBalancerAttributes"]).toEqual([{ key: "routing.http.drop_invalid_header_fields.enabled", value: "true" }]);
  });

  it("points the IngressClass at its parameters and the ALB controller", () => {
    expect(albIngressClass()).toMatchObject({
      apiVersion: "networking.k8s.io/v1",
      metadata: { name: "alb" },
      spec: { controller: "ingress.k8s.aws/alb", parameters: { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: "alb" } },
    });
  });
});
