/**
 * The platform's CRD-dependent Kubernetes objects as plain data: External Secrets' ClusterSecretStore and
 * ExternalSecrets (the secrets layout synced into one namespace), and the ALB IngressClassParams and IngressClass.
 * Pure functions, so tests validate them against the CRD schemas without synthesizing.
 */
import type { PlatformSecretKind } from "../secrets";

/** TLS 1.3 (with 1.2 for older clients) on every ALB listener. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
export const ALB_INGRESS_CLASS = "alb";
export const ALB_CONTROLLER = "ingress.k8s.aws/alb";
/** EKS Auto Mode's own load balancer controller (awsdocs/amazon-eks-user-guide latest/ug/automode/auto-configure-alb.adoc). */
export const AUTO_MODE_ALB_CONTROLLER = "eks.amazonaws.com/alb";
export const CLUSTER_SECRET_STORE = "aws-secrets-manager";

/** Database credentials rotate; they are re-read every 3 minutes. Everything else changes by hand, hourly is enough. */
export const REFRESH_INTERVALS = { databaseCredentials: "3m", other: "1h" } as const;

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

const labels = { "app.kubernetes.io/managed-by": "blockfleet", "app.kubernetes.io/part-of": "blockfleet-platform" };

export interface ClusterSecretStoreInput {
  /** Region of the platform's secrets. */
  readonly region: string;
  /** The only namespaces whose ExternalSecrets may use the store (the platform's). */
  readonly namespaces: readonly string[];
}

/**
 * Reads Secrets Manager with the controller's own Pod Identity credentials: no static keys, no service account token
 * exchange. Those credentials reach the database master password, so only the listed namespaces may use the store;
 * without the condition anyone allowed to create an ExternalSecret anywhere could copy it into their namespace.
 */
export function clusterSecretStore(input: ClusterSecretStoreInput): KubernetesObject {
  if (input.namespaces.length === 0) throw new Error("cluster secret store: namespaces must name who may use the store, got []");
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: CLUSTER_SECRET_STORE, labels },
    spec: {
      provider: { aws: { service: "SecretsManager", region: input.region } },
      conditions: [{ namespaces: [...input.namespaces] }],
    },
  };
}

export interface ExternalSecretsInput {
  readonly namespace: string;
  /** Secrets Manager names by kind, only for the kinds that exist. */
  readonly secretNames: Partial<Record<PlatformSecretKind, string>>;
  /** The RDS-managed master secret, when there is a database. */
  readonly databaseMasterSecretArn?: string;
}

interface RemoteEntry {
  readonly secretKey: string;
  readonly key: string;
  readonly property?: string;
}

function externalSecret(name: string, namespace: string, refreshInterval: string, entries: readonly RemoteEntry[]): KubernetesObject {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace, labels },
    spec: {
      refreshInterval,
      secretStoreRef: { name: CLUSTER_SECRET_STORE, kind: "ClusterSecretStore" },
      target: { name, creationPolicy: "Owner" },
      data: entries.map(({ secretKey, key, property }) => ({ secretKey, remoteRef: property === undefined ? { key } : { key, property } })),
    },
  };
}

/** One ExternalSecret per concern, each producing a Kubernetes Secret of the same name. */
export function externalSecrets(input: ExternalSecretsInput): KubernetesObject[] {
  const { namespace, secretNames: names } = input;
  const objects: KubernetesObject[] = [];
  if (names.databaseConnection !== undefined && input.databaseMasterSecretArn !== undefined) {
    const master = input.databaseMasterSecretArn;
    objects.push(
      externalSecret("platform-database", namespace, REFRESH_INTERVALS.databaseCredentials, [
        { secretKey: "dbUsername", key: master, property: "username" },
        { secretKey: "dbPassword", key: master, property: "password" },
        { secretKey: "dbHost", key: names.databaseConnection, property: "endpoint" },
        { secretKey: "dbPort", key: names.databaseConnection, property: "port" },
        { secretKey: "dbName", key: names.databaseConnection, property: "database_name" },
      ]),
    );
  }
  if (names.storage !== undefined) {
    objects.push(
      externalSecret("platform-storage", namespace, REFRESH_INTERVALS.other, [
        { secretKey: "modelRegistryUrl", key: names.storage, property: "model_registry" },
        { secretKey: "sharedDirectoryUrl", key: names.storage, property: "workdir" },
      ]),
    );
  }
  if (names.redis !== undefined) {
    objects.push(externalSecret("platform-redis", namespace, REFRESH_INTERVALS.other, [{ secretKey: "redisUrl", key: names.redis, property: "url" }]));
  }
  if (names.oidcProviders !== undefined && names.cookies !== undefined) {
    objects.push(
      externalSecret("platform-auth", namespace, REFRESH_INTERVALS.other, [
        { secretKey: "oidcProviders", key: names.oidcProviders },
        { secretKey: "cookiesSecret", key: names.cookies },
      ]),
    );
  }
  return objects;
}

export interface AlbIngressClassInput {
  readonly certificateArn: string;
  readonly scheme: "internal" | "internet-facing";
}

/** Load balancer settings every Ingress of the class inherits: scheme, certificate, TLS 1.3 policy. */
export function albIngressClassParams(input: AlbIngressClassInput): KubernetesObject {
  return {
    apiVersion: "elbv2.k8s.aws/v1beta1",
    kind: "IngressClassParams",
    metadata: { name: ALB_INGRESS_CLASS, labels },
    spec: {
      scheme: input.scheme,
      ipAddressType: "ipv4",
      certificateArn: [input.certificateArn],
      sslPolicy: ALB_SSL_POLICY,
      loadBalancerAttributes: [{ key: "routing.http.drop_invalid_header_fields.enabled", value: "true" }],
    },
  };
}

export function albIngressClass(): KubernetesObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: ALB_INGRESS_CLASS, labels },
    spec: { controller: ALB_CONTROLLER, parameters: { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: ALB_INGRESS_CLASS } },
  };
}

/**
 * The same load balancer settings for EKS Auto Mode's controller: its IngressClassParams (`eks.amazonaws.com/v1`)
 * takes `certificateARNs` where the open-source controller's takes `certificateArn` (auto-configure-alb.adoc).
 */
export function autoModeAlbIngressClassParams(input: AlbIngressClassInput): KubernetesObject {
  return {
    apiVersion: "eks.amazonaws.com/v1",
    kind: "IngressClassParams",
    metadata: { name: ALB_INGRESS_CLASS, labels },
    spec: {
      scheme: input.scheme,
      ipAddressType: "ipv4",
      certificateARNs: [input.certificateArn],
      sslPolicy: ALB_SSL_POLICY,
      loadBalancerAttributes: [{ key: "routing.http.drop_invalid_header_fields.enabled", value: "true" }],
    },
  };
}

/** The `alb` IngressClass on EKS Auto Mode's controller and its IngressClassParams. */
export function autoModeAlbIngressClass(): KubernetesObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: ALB_INGRESS_CLASS, labels },
    spec: { controller: AUTO_MODE_ALB_CONTROLLER, parameters: { apiGroup: "eks.amazonaws.com", kind: "IngressClassParams", name: ALB_INGRESS_CLASS } },
  };
}
