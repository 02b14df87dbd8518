/**
 * Local stand-ins for what Lambda provides, shared by the failover and failback rehearsals:
 * nothing reaches AWS (every client is mocked or pointed at dynalite), and the handlers'
 * structured logs would drown the timeline.
 */
export function useLambdaLikeEnvironment(): void {
  process.env.AWS_ACCESS_KEY_ID ??= "rehearsal";
  process.env.AWS_SECRET_ACCESS_KEY ??= "rehearsal";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  process.env.POWERTOOLS_TRACE_ENABLED ??= "false";
  process.env.POWERTOOLS_METRICS_NAMESPACE ??= "PilotLight";
}
