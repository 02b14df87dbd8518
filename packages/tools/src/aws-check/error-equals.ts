/**
 * Every error name a Retry or Catch of the state machines lists must be one a step can raise:
 * Amazon States Language's own `States.*` errors, the Lambda service errors Step Functions
 * reports for an invocation (Step Functions Developer Guide, "Handling Lambda service
 * exceptions"), or a domain error of packages/core that sets that name and is thrown by core or
 * handler code. A name nothing raises is a Retry or Catch that can never fire.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { allStates, type AslDefinition } from "../../../world/src/execute";

const packagesDir = fileURLToPath(new URL("../../../", import.meta.url));

/** ASL's predefined error names (Amazon States Language specification, "Errors"). */
export const statesErrors = ["States.ALL", "States.HeartbeatTimeout", "States.Timeout", "States.TaskFailed", "States.Permissions", "States.ResultPathMatchFailure", "States.ParameterPathFailure", "States.BranchFailed", "States.NoChoiceMatched", "States.IntrinsicFailure", "States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed", "States.ResultWriterFailed", "States.QueryEvaluationError"];
/** What Step Functions reports when invoking the function fails or it times out. */
export const lambdaServiceErrors = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Lambda.Unknown"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "node_modules" || entry === "test" ? [] : sources(path);
    return path.endsWith(".ts") ? [readFileSync(path, "utf8")] : [];
  });
}

/** Domain error names a step can raise: classes that name themselves and are thrown somewhere. */
export function raisableDomainErrors(): Set<string> {
  const code = [...sources(join(packagesDir, "core", "src")), ...sources(join(packagesDir, "functions", "src"))].join("\n");
  const named = [...code.matchAll(/class (\w+Error) extends \w+ \{\s*(?:override )?readonly name = "(\w+)"/g)].filter((m) => m[1] === m[2]).map((m) => m[1] as string);
  return new Set(named.filter((name) => new RegExp(`new ${name}\\(`).test(code)));
}

/** Each ErrorEquals name of the definitions that no step can raise, "State: Name". */
export function errorEqualsFindings(definitions: AslDefinition[], raisable: Set<string> = raisableDomainErrors()): string[] {
  const known = new Set([...statesErrors, ...lambdaServiceErrors, ...raisable]);
  return definitions.flatMap((definition) =>
    allStates(definition).flatMap(([name, state]) =>
      [...((state.Retry ?? []) as { ErrorEquals: string[] }[]), ...((state.Catch ?? []) as { ErrorEquals: string[] }[])].flatMap((r) => r.ErrorEquals.filter((e) => !known.has(e)).map((e) => `${name}: ${e}`)),
    ),
  );
}
