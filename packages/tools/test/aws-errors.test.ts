/**
 * The world speaks AWS's error names, and the state machines wait for errors that can happen:
 * mechanical checks over the world's sources, the SDK client packages and the synthesized ASL.
 */
import { describe, expect, it } from "vitest";
import { standaloneFailbackTemplate } from "../../../stacks/failback/standalone";
import { standaloneFailoverTemplate } from "../../../stacks/failover/standalone";
import type { AslDefinition } from "../../world/src";
import { extractAsl } from "../src/asl";
import { errorEqualsFindings } from "../src/aws-check/error-equals";
import { errorNameFindings, modelledErrorNames, worldErrorNames } from "../src/aws-check/error-names";
import { allStates } from "../../world/src/execute";
import { Errors, Failback, Failover } from "@pilot-light/core";
import * as WorkflowErrors from "../../core/src/workflow/errors";

describe("error names the world raises", () => {
  it("finds the names in the world's answers, each attributed to its service", () => {
    const raised = worldErrorNames();
    expect(raised).toContainEqual(expect.objectContaining({ name: "NoSuchHostedZone", service: "route53" }));
    expect(raised).toContainEqual(expect.objectContaining({ name: "KMSKeyNotAccessibleFault", service: "rds" }));
    expect(raised.filter((r) => r.service === "?")).toEqual([]);
  });

  it("are each one the service's SDK package models or the service documents", () => {
    expect(errorNameFindings()).toEqual([]);
  });

  it("reports a name the SDK does not model (the SDK names RDS's DBParameterGroupNotFound code DBParameterGroupNotFoundFault)", () => {
    expect(modelledErrorNames("rds")).toContain("DBParameterGroupNotFoundFault");
    expect(errorNameFindings([{ name: "DBParameterGroupNotFound", service: "rds", where: "x" }])).toHaveLength(1);
  });
});

describe("ErrorEquals of the state machines", () => {
  const definitions = [standaloneFailoverTemplate(), standaloneFailbackTemplate()].flatMap((t) => extractAsl(t.toJSON() as never).map((sm) => sm.definition as AslDefinition));

  it("name only errors a step can raise", () => {
    expect(definitions.length).toBe(2);
    expect(errorEqualsFindings(definitions)).toEqual([]);
  });

  it("match on domain errors written once, in the workflows' one error module, which both workflows' namespaces expose", () => {
    const contract = new Set([...Object.values(WorkflowErrors).flatMap((e) => (typeof e === "function" ? [e.name] : Object.values(e))), "AwsTransientError"]);
    const domain = (name: string) => !name.startsWith("States.") && !name.startsWith("Lambda.");
    for (const definition of definitions) {
      for (const [state, s] of allStates(definition)) {
        const matched = [...((s.Retry ?? []) as { ErrorEquals: string[] }[]), ...((s.Catch ?? []) as { ErrorEquals: string[] }[])].flatMap((r) => r.ErrorEquals);
        for (const name of [...matched, ...(typeof s.Error === "string" && s.Error.endsWith("Error") ? [s.Error] : [])].filter(domain)) expect(contract, `${state}: ${name}`).toContain(name);
      }
    }
    expect(Failback.FailoverLockedError).toBe(Failover.FailoverLockedError);
    expect(Failback.ReplicaNotReadyError).toBe(Failover.ReplicaNotReadyError);
    expect(Errors.AwsTransientError.name).toBe("AwsTransientError");
  });

  it("reports a Retry on an error nothing raises", () => {
    const definition: AslDefinition = { StartAt: "A", States: { A: { Type: "Task", Retry: [{ ErrorEquals: ["ReplicaNotReadyEror"] }], End: true } } };
    expect(errorEqualsFindings([definition])).toEqual(["A: ReplicaNotReadyEror"]);
  });
});
