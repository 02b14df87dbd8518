import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

describe("dynalite test engine", () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db.stop());

  it("enforces conditional writes like DynamoDB", async () => {
    const TableName = await db.createStateTable();
    const put = () =>
      db.doc.send(new PutCommand({ TableName, Item: { pk: "LOCK#x" }, ConditionExpression: "attribute_not_exists(pk)" }));
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const got = await db.doc.send(new GetCommand({ TableName, Key: { pk: "LOCK#x" } }));
    expect(got.Item).toEqual({ pk: "LOCK#x" });
  });
});
