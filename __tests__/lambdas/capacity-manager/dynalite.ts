import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  JOURNAL_ATTRIBUTES,
  JOURNAL_PARTITION_KEY,
  JOURNAL_SORT_KEY,
  RESERVATION_INDEX,
  TABLE_ATTRIBUTES,
  TABLE_PARTITION_KEY,
} from "../../../lambdas/capacity-manager/contract/table";

interface DynaliteServer {
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  close(callback: (error?: Error) => void): void;
  address(): AddressInfo;
}

/** The journal table that goes with a records table in tests. */
export const journalTableOf = (name: string): string => `${name}-journal`;

/** A dynalite server on a free local port with the manager's tables created from table.ts. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates the records table `name` and its journal table (journalTableOf). */
  createTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const dynalite = createRequire(__filename)("dynalite") as (options: {
    createTableMs: number;
    deleteTableMs: number;
    updateTableMs: number;
  }) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => server.listen(0, "127.0.0.1", (error) => (error ? reject(error) : resolve())));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  return {
    endpoint,
    client,
    async createTable(name: string): Promise<void> {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: TABLE_ATTRIBUTES.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
          KeySchema: [{ AttributeName: TABLE_PARTITION_KEY.name, KeyType: "HASH" }],
          GlobalSecondaryIndexes: [
            {
              IndexName: RESERVATION_INDEX.name,
              KeySchema: [{ AttributeName: RESERVATION_INDEX.partitionKey.name, KeyType: "HASH" }],
              Projection: { ProjectionType: RESERVATION_INDEX.projection },
            },
          ],
        }),
      );
      await client.send(
        new CreateTableCommand({
          TableName: journalTableOf(name),
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: JOURNAL_ATTRIBUTES.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
          KeySchema: [
            { AttributeName: JOURNAL_PARTITION_KEY.name, KeyType: "HASH" },
            { AttributeName: JOURNAL_SORT_KEY.name, KeyType: "RANGE" },
          ],
        }),
      );
    },
    async stop(): Promise<void> {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
