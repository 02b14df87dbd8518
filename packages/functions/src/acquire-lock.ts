/**
 * AcquireLock: takes LOCK#failover for this execution, reading it first. Already this
 * execution's (a retry after a lost answer) is success with no write; a second concurrent
 * failover or drill fails fast with FailoverLockedError; a failover that finds a drill holding
 * it takes it over in one conditional write and stops the drill's execution (a real outage
 * pre-empts a drill). A dry-run takes no lock.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TABLE_NAME"]));
const clients = Failover.lazy(() => ({
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })),
  sfn: new SFNClient({ region: settings().DR_REGION }),
}));

export const handler = wrap(Failover.FailoverState, async ({ run }) => Failover.acquireLock(clients().db, settings().TABLE_NAME, run, new Date(), clients().sfn));
