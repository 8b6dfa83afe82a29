import { EC2Client, type EC2ClientResolvedConfig, type ServiceInputTypes, type ServiceOutputTypes } from "@aws-sdk/client-ec2";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient, type AwsStub } from "aws-sdk-client-mock";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { Ec2CapacityApi } from "../../../../lambdas/capacity-manager/adapters/ec2";
import { CONFIG_DEFAULTS, type ManagerConfig } from "../../../../lambdas/capacity-manager/config";
import { createLogger, type Logger } from "../../../../lambdas/capacity-manager/log";
import type { NodeGroupScaler, Notifier } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import type { LocalDynamo } from "../dynalite";

type Ec2Stub = AwsStub<ServiceInputTypes, ServiceOutputTypes, EC2ClientResolvedConfig>;

export interface Harness {
  readonly store: DynamoRecordStore;
  readonly ec2Read: Ec2Stub;
  readonly ec2Purchase: Ec2Stub;
  readonly published: { subject: string; message: string; attributes: Readonly<Record<string, string>> }[];
  readonly scaled: { nodegroupName: string; desiredSize: number }[];
  readonly lines: Record<string, unknown>[];
  readonly logger: Logger;
  readonly config: ManagerConfig;
  now: Date;
  reconciler(options?: { notifications?: boolean }): Reconciler;
  service(): RecordsService;
}

/** Real DynamoDB store on dynalite, EC2 mocked at the SDK client, SNS/EKS recorded in memory. */
export function createHarness(dynamo: LocalDynamo, tableName: string, now: Date): Harness {
  const read = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const purchase = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1 });
  const ec2 = new Ec2CapacityApi({ read, purchase });
  const store = new DynamoRecordStore(createDocumentClient(dynamo.client), tableName);
  const lines: Record<string, unknown>[] = [];
  const published: Harness["published"] = [];
  const scaled: Harness["scaled"] = [];
  const notifier: Notifier = {
    publish: async (subject, message, attributes) => {
      published.push({ subject, message, attributes });
    },
  };
  const scaler: NodeGroupScaler = {
    ensureDesiredSize: async (_cluster, nodegroupName, desiredSize) => {
      scaled.push({ nodegroupName, desiredSize });
      return { changed: true, previous: 0 };
    },
  };
  const harness: Harness = {
    store,
    ec2Read: mockClient(read),
    ec2Purchase: mockClient(purchase),
    published,
    scaled,
    lines,
    logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>), () => harness.now),
    config: { tableName, topicArn: "arn:aws:sns:us-east-1:123456789012:cbm", ...CONFIG_DEFAULTS },
    now,
    reconciler: (options = {}) =>
      new Reconciler({ store, ec2, notifier: options.notifications === false ? undefined : notifier, scaler, logger: harness.logger, clock: () => harness.now, concurrency: 4 }),
    service: () => new RecordsService({ store, ec2, clock: () => harness.now }),
  };
  return harness;
}

export interface EventOptions {
  readonly pk?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly query?: Record<string, string>;
  readonly userArn?: string | null;
}

/** An API Gateway REST proxy event as the infrastructure's resources produce it. */
export function apiEvent(httpMethod: string, resource: string, options: EventOptions = {}): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  return {
    httpMethod,
    resource,
    path: options.pk ? `/${encodeURIComponent(options.pk)}` : resource,
    pathParameters: options.pk !== undefined ? { PK: encodeURIComponent(options.pk) } : null,
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { "content-type": "application/json" },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      identity: { userArn: options.userArn === undefined ? "arn:aws:iam::123456789012:user/finance" : options.userArn },
    } as APIGatewayProxyEvent["requestContext"],
  };
}

export const metricLines = (lines: readonly Record<string, unknown>[]) => lines.filter((l) => "_aws" in l);
