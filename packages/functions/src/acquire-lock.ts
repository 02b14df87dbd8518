/**
 * AcquireLock: conditional write of LOCK#failover owned by this execution. A second
 * concurrent failover or drill fails fast with FailoverLockedError; a retry by the same
 * execution succeeds. A dry-run takes no lock.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TABLE_NAME"]));
const db = Failover.lazy(() => DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })));

export const handler = wrap(Failover.FailoverState, async ({ run }) => Failover.acquireLock(db(), settings().TABLE_NAME, run, new Date()));
