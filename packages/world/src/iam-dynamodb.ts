/**
 * IAM for DynamoDB: the orchestrator's table is served by dynalite (a real engine over local
 * HTTP), not by the world's mocks, so its calls are authorised here, in front of the clients'
 * `send`, with the same evaluator and the same access-denied error as every other service.
 * Both the low-level client and the document client (whose commands carry plain JavaScript
 * keys) are covered; the operation is the low-level command's (GetItem, PutItem, ...).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { awsError } from "./api";
import { authorizeCall } from "./iam-requests";
import type { WorldState } from "./model";
import { viewClient } from "./sdk";

interface CommandLike {
  input: unknown;
  clientCommand?: { constructor: { name: string } };
  constructor: { name: string };
}

type Send = (this: unknown, command: CommandLike, ...rest: unknown[]) => Promise<unknown>;

/** Authorises every DynamoDB call a function makes; returns a function that removes the check. */
export function installDynamoIam(world: WorldState): () => void {
  const classes = [DynamoDBClient, DynamoDBDocumentClient] as unknown as { prototype: { send: Send } }[];
  const restores = classes.map((cls) => {
    const own = Object.prototype.hasOwnProperty.call(cls.prototype, "send");
    const original = cls.prototype.send;
    cls.prototype.send = async function (this: unknown, command: CommandLike, ...rest: unknown[]) {
      const operation = (command.clientCommand ?? command).constructor.name.replace(/Command$/, "");
      const { region } = await viewClient(this);
      await authorizeCall(world, `dynamodb:${operation}`, command.input, region, awsError);
      return original.call(this, command, ...rest);
    };
    return () => {
      if (own) cls.prototype.send = original;
      else delete (cls.prototype as { send?: Send }).send;
    };
  });
  return () => restores.forEach((r) => r());
}
