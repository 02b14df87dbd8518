/**
 * Which region serves (Database.decideServing): the one decision readiness, the monitor's arming
 * and the `dr` CLI read from what RDS shows. Pure, table-driven.
 */
import { describe, expect, it } from "vitest";
import { Database } from "@pilot-light/core";

const source = "arn:aws:rds:eu-west-1:123456789012:db:pilot-light-prod-primary";
const seen = {
  writable: { found: true, state: { status: "available", sourceIdentifier: null }, readOnly: false },
  backingUp: { found: true, state: { status: "backing-up", sourceIdentifier: null }, readOnly: false },
  fenced: { found: true, state: { status: "available", sourceIdentifier: null }, readOnly: true },
  replica: { found: true, state: { status: "available", sourceIdentifier: source } },
  promoting: { found: true, state: { status: "modifying", sourceIdentifier: source } },
  unreadGroup: { found: true, state: { status: "available", sourceIdentifier: null } },
  gone: { found: false },
  silent: undefined,
} satisfies Record<string, Database.DatabaseSeen<Database.DatabaseShown>>;
type Seen = keyof typeof seen;

describe("a database's role", () => {
  it.each<[Seen, Database.DatabaseRole]>([
    ["writable", "writable"],
    ["backingUp", "not-ready"],
    ["fenced", "read-only"],
    ["replica", "replica"],
    ["promoting", "replica"],
    ["unreadGroup", "not-known"],
    ["gone", "not-found"],
    ["silent", "not-known"],
  ])("%s is %s", (db, role) => {
    expect(Database.roleOf(seen[db])).toBe(role);
  });
});

describe("which region serves", () => {
  it.each<[string, Seen, Seen, Database.Serving<"primary" | "dr">["serves"]]>([
    ["before any failover (state A)", "writable", "replica", "primary"],
    ["during the primary's daily backup", "backingUp", "replica", "primary"],
    ["after a failover: the old primary fenced", "fenced", "writable", "dr"],
    ["right after a promotion, RDS still backing it up", "fenced", "backingUp", "dr"],
    ["after a failover, the primary region silent", "silent", "writable", "dr"],
    ["re-protected (state C): the primary region holds the replica", "replica", "writable", "dr"],
    ["after a switchback's promotion: the DR database sealed", "writable", "fenced", "primary"],
    ["a fence that did not hold (a default group)", "writable", "writable", "both"],
    ["a switchback between seal and promotion", "promoting", "fenced", "none"],
    ["no database anywhere", "gone", "gone", "none"],
    ["the primary region silent, the DR database a replica", "silent", "replica", "not-known"],
    ["a database whose read_only was not read, the other a replica", "unreadGroup", "replica", "not-known"],
    ["a database whose read_only was not read beside one that takes writes", "unreadGroup", "writable", "dr"],
  ])("%s: %s and %s → %s", (_when, primary, dr, serves) => {
    const decided = Database.decideServing({ primary: seen[primary], dr: seen[dr] });
    expect(decided).toEqual({ serves, roles: { primary: Database.roleOf(seen[primary]), dr: Database.roleOf(seen[dr]) } });
  });
});
