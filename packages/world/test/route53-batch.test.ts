import { afterEach, describe, expect, it } from "vitest";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type Change, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import { installApis, pilotLightWorld } from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

const simple: ResourceRecordSet = { Name: "shop.example.org.", Type: "A", AliasTarget: { DNSName: "shop-alb-1.eu-west-1.elb.amazonaws.com.", HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } };
const failover = (id: "primary" | "secondary"): ResourceRecordSet => ({ ...simple, SetIdentifier: id, Failover: id === "primary" ? "PRIMARY" : "SECONDARY" });

function zone(records: ResourceRecordSet[]) {
  const { world } = pilotLightWorld({ dns: false });
  world.zones.set("ZSHOP", structuredClone(records));
  restore = installApis(world);
  const r53 = new Route53Client({ region: "us-east-1" });
  const send = (changes: Change[]) => r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: "ZSHOP", ChangeBatch: { Changes: changes } }));
  const list = async () => (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: "ZSHOP" }))).ResourceRecordSets;
  return { send, list };
}

describe("Route 53 applies a change batch all or nothing", () => {
  it("turns a simple record into a failover pair in one batch: DELETE with its exact values, two CREATEs", async () => {
    const { send, list } = zone([simple]);
    await send([{ Action: "DELETE", ResourceRecordSet: simple }, { Action: "CREATE", ResourceRecordSet: failover("primary") }, { Action: "CREATE", ResourceRecordSet: failover("secondary") }]);
    expect(await list()).toEqual([failover("primary"), failover("secondary")]);
  });

  it("refuses a failover record beside a simple record of the same name and type, and applies nothing of the batch", async () => {
    const { send, list } = zone([simple]);
    const batch = send([{ Action: "CREATE", ResourceRecordSet: { ...simple, Name: "other.example.org." } }, { Action: "CREATE", ResourceRecordSet: failover("primary") }]);
    await expect(batch).rejects.toMatchObject({ name: "InvalidChangeBatch", message: expect.stringMatching(/SetIdentifier primary cannot be created as a non-weighted set exists with the same name and type/) });
    expect(await list()).toEqual([simple]);
  });

  it("refuses an UPSERT of a failover record beside a simple record too", async () => {
    const { send } = zone([simple]);
    await expect(send([{ Action: "UPSERT", ResourceRecordSet: failover("primary") }])).rejects.toMatchObject({ name: "InvalidChangeBatch" });
  });

  it("refuses a DELETE whose values differ from the record's", async () => {
    const { send, list } = zone([simple]);
    const stale = { ...simple, AliasTarget: { ...simple.AliasTarget!, DNSName: "old-alb.eu-west-1.elb.amazonaws.com." } };
    await expect(send([{ Action: "DELETE", ResourceRecordSet: stale }])).rejects.toMatchObject({ name: "InvalidChangeBatch", message: expect.stringMatching(/values provided do not match the current values/) });
    expect(await list()).toEqual([simple]);
  });

  it("refuses a DELETE of a record that is not there, and a CREATE of one that is", async () => {
    const { send } = zone([simple]);
    await expect(send([{ Action: "DELETE", ResourceRecordSet: failover("primary") }])).rejects.toMatchObject({ name: "InvalidChangeBatch", message: expect.stringMatching(/but it was not found/) });
    await expect(send([{ Action: "CREATE", ResourceRecordSet: simple }])).rejects.toMatchObject({ name: "InvalidChangeBatch", message: expect.stringMatching(/but it already exists/) });
  });

  it("refuses another type beside a CNAME", async () => {
    const { send } = zone([{ Name: "shop.example.org.", Type: "CNAME", TTL: 60, ResourceRecords: [{ Value: "shop-alb-1.eu-west-1.elb.amazonaws.com" }] }]);
    await expect(send([{ Action: "CREATE", ResourceRecordSet: simple }])).rejects.toMatchObject({ name: "InvalidChangeBatch", message: expect.stringMatching(/conflicts with other records with the same DNS name/) });
  });

  it("matches names whatever their case and final dot", async () => {
    const { send, list } = zone([simple]);
    await send([{ Action: "UPSERT", ResourceRecordSet: { ...simple, Name: "SHOP.example.org", AliasTarget: { ...simple.AliasTarget!, DNSName: "shop-alb-2.eu-west-1.elb.amazonaws.com." } } }]);
    expect(await list()).toHaveLength(1);
  });
});
