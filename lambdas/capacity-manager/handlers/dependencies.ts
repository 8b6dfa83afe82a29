import { EKSClient } from "@aws-sdk/client-eks";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoSpendLedger } from "../adapters/dynamodb-ledger";
import { createDocumentClient, createDynamoRecordStoreFromEnv } from "../adapters/dynamodb-store";
import { createEc2Clients, Ec2CapacityApi } from "../adapters/ec2";
import { EksNodeGroupScaler } from "../adapters/eks-scaler";
import { SnsNotifier } from "../adapters/sns-notifier";
import { SsmDeclaredBlocks } from "../adapters/ssm-declared-blocks";
import type { ManagerConfig } from "../runtime/config";
import { createLogger, type Logger } from "../runtime/log";
import type { CapacityApi, NewBlockMarket, RecordStore, SpendLedger } from "../service/ports";
import { Reconciler } from "../service/reconciler";
import { RecordsService } from "../service/records-service";

/** Built once per Lambda container (clients keep their connections between invocations). */
export interface Runtime {
  readonly config: ManagerConfig;
  readonly logger: Logger;
  readonly store: RecordStore;
  readonly ec2: CapacityApi;
  /** Where new blocks are bought (replacements); used only when the configuration carries NEW_BLOCK_TAGS. */
  readonly market?: NewBlockMarket;
  /** The spend ledger (journal table, a partition per month). */
  readonly ledger: SpendLedger;
}

export function createRuntime(config: ManagerConfig): Runtime {
  const ec2 = new Ec2CapacityApi(createEc2Clients());
  return {
    config,
    logger: createLogger(),
    store: createDynamoRecordStoreFromEnv(config.tableName, config.journalTableName),
    ec2,
    market: ec2,
    ledger: new DynamoSpendLedger(createDocumentClient(), config.journalTableName),
  };
}

export function createReconciler(runtime: Runtime): Reconciler {
  const { config } = runtime;
  return new Reconciler({
    store: runtime.store,
    ec2: runtime.ec2,
    notifier: config.topicArn ? new SnsNotifier(new SNSClient({}), config.topicArn) : undefined,
    scaler: new EksNodeGroupScaler(new EKSClient({})),
    logger: runtime.logger,
    clock: () => new Date(),
    concurrency: config.reconcileConcurrency,
    extensionsEnabled: config.extensionsEnabled,
    ...(config.newBlockTags && runtime.market ? { newBlocks: { market: runtime.market, tags: config.newBlockTags } } : {}),
    ledger: runtime.ledger,
    ...(config.monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd: config.monthlyBudgetUsd } : {}),
    ...(config.declaredBlocksParameter ? { declared: new SsmDeclaredBlocks(new SSMClient({}), config.declaredBlocksParameter) } : {}),
  });
}

export function createRecordsService(runtime: Runtime): RecordsService {
  return new RecordsService({ store: runtime.store, ec2: runtime.ec2, clock: () => new Date() });
}
