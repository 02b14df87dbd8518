/**
 * Local stand-ins for what AWS runs the handlers in: a DynamoDB engine (dynalite on a free
 * loopback port, in memory) holding the orchestrator's state table, and a Lambda context.
 * Shared by the tests and the rehearsal.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
// dynalite ships no types.
// @ts-expect-error -- untyped CommonJS module
import dynalite from "dynalite";
import { State } from "@pilot-light/core";

export interface LocalDynamo {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  endpoint: string;
  /** Creates a table with the orchestrator's key schema and returns its name. */
  createStateTable(name?: string): Promise<string>;
  /** Drops a state table if it exists and creates it empty. */
  resetStateTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startDynalite(): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: "eu-central-1", endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const createStateTable = async (name = `state-${process.pid}-${++tableCounter}`) => {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: State.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: State.partitionKey, KeyType: "HASH" }],
      }),
    );
    // Like DynamoDB, dynalite answers CreateTable while the table is still CREATING, and a
    // write to it then fails with ResourceNotFoundException: wait until it is ACTIVE.
    for (let attempt = 0; ; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === "ACTIVE") break;
      if (attempt > 200) throw new Error(`table ${name} did not become ACTIVE`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return name;
  };
  return {
    client,
    doc,
    endpoint,
    createStateTable,
    async resetStateTable(name) {
      const gone = (error: unknown) => {
        if ((error as Error).name !== "ResourceNotFoundException") throw error;
        return true;
      };
      if (await client.send(new DeleteTableCommand({ TableName: name })).then(() => false, gone)) return void (await createStateTable(name));
      // dynalite deletes asynchronously, like DynamoDB: wait until the name is free again.
      for (let attempt = 0; ; attempt++) {
        if (await client.send(new DescribeTableCommand({ TableName: name })).then(() => false, gone)) break;
        if (attempt > 200) throw new Error(`table ${name} was not deleted`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await createStateTable(name);
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 25_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
