// Tests never reach AWS: make any accidental real call fail fast instead of hanging on credentials.
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.POWERTOOLS_DEV ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_TRACE_ENABLED ??= "false";
// The X-Ray SDK under the (disabled) tracer otherwise starts in automatic mode when first
// imported: a cls-hooked namespace whose async hooks track every promise of the worker, world,
// Step Functions and all, for traces nothing records here (4-9 % of a world test's CPU).
process.env.AWS_XRAY_MANUAL_MODE ??= "1";
