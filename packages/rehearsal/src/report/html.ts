/**
 * Renders a rehearsal report as one self-contained HTML page (inline CSS and SVG, no scripts,
 * no network): the verdict, each target met or missed, a Gantt chart of the phases on the
 * outage's timeline (failed and timed-out phases in red with their error, the critical path
 * outlined, labelled event markers), what to change, the end state, the notifications people
 * received, and the latency draw with its sources.
 */
import { Failover } from "@pilot-light/core";
import { latencyModel, type LatencyName } from "../latency";
import type { FailbackReport } from "../failback";
import type { LifecycleReport, LifecycleSummary } from "../lifecycle";
import type { RehearsalReport } from "./schema";

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

export function formatSeconds(s: number | null): string {
  if (s === null) return "—";
  if (s < 10) return `${s.toFixed(1)} s`;
  // Rounded once, then split: 479.6 s is 8 min 00 s, not 7 min 60 s.
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  return m > 0 ? `${m} min ${String(whole - m * 60).padStart(2, "0")} s` : `${whole} s`;
}

/**
 * The report's headline, shared by the console and the HTML page: how the run ended, the
 * targets it missed, and whether that is what the scenario exists to show. Its tone agrees with
 * all three: "ok" only when the run did its job, met every target and ended as expected.
 */
export function headline(report: RehearsalReport): { text: string; tone: "ok" | "missed" | "failed" } {
  const missed = report.targets ? [report.targets.rto.met ? null : "RTO", report.targets.rpo.met === false ? "RPO" : null].filter((x) => x !== null) : [];
  const parts = [report.outcome];
  if (missed.length > 0) parts.push(`${missed.join(" and ")} target missed`);
  if (!report.expectation.met) parts.push(`not what the scenario exists to show (expected ${report.expectation.outcome})`);
  const tone = report.verdict === "failed" || !report.expectation.met ? "failed" : missed.length > 0 ? "missed" : "ok";
  return { text: parts.join("; "), tone };
}

/** Marker labels sit in rows under the bars, so labels of close events do not overlap. */
const markerRows = 3;

export function renderHtml(report: RehearsalReport): string {
  const rows = report.phases;
  const markers = report.events.filter((e) => e.marker !== null);
  const end = Math.max(60, ...rows.map((p) => p.endSeconds), ...report.events.map((e) => e.atSeconds));
  const width = 900;
  const label = 230;
  const rowHeight = 26;
  const top = 30;
  const barsBottom = top + rows.length * rowHeight;
  const height = barsBottom + 24 + markerRows * 14 + 8;
  const x = (s: number) => label + (s / end) * (width - label - 90);
  const tickStep = niceStep(end);
  const ticks: string[] = [];
  for (let t = 0; t <= end; t += tickStep) {
    ticks.push(
      `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${barsBottom}" class="grid"/>` +
        `<text x="${x(t)}" y="${top - 10}" class="tick">${t % 60 === 0 ? `${t / 60} min` : `${t} s`}</text>`,
    );
  }
  const bars = rows.map((p, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, x(p.endSeconds) - x(p.startSeconds));
    const cls = ["bar", p.outcome === "ok" ? "" : p.outcome, p.critical ? "critical" : ""].filter(Boolean).join(" ");
    const status = p.outcome === "ok" ? "" : ` ${p.outcome === "timed-out" ? "TIMED OUT" : "FAILED"}`;
    return (
      `<g class="phase" data-outcome="${p.outcome}" data-critical="${p.critical}"><text x="${label - 8}" y="${y + 17}" class="name">${escape(p.name)}</text>` +
      `<rect x="${x(p.startSeconds)}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" rx="3" class="${cls}">` +
      `<title>${escape(p.name)}: ${formatSeconds(p.startSeconds)} → ${formatSeconds(p.endSeconds)}${escape(status)}${p.error ? `: ${escape(p.error)}` : ""}</title></rect>` +
      `<text x="${x(p.endSeconds) + 4}" y="${y + 17}" class="dur${p.outcome === "ok" ? "" : " bad"}">${escape(formatSeconds(p.endSeconds - p.startSeconds))}${escape(status)}</text></g>`
    );
  });
  // Each label goes to the first row where it does not overlap the previous label (about 6 px a character).
  const rowEnds: number[] = Array.from({ length: markerRows }, () => Number.NEGATIVE_INFINITY);
  const marks = markers.map((e) => {
    const half = ((e.marker ?? "").length * 6) / 2 + 4;
    const free = rowEnds.findIndex((end) => end < x(e.atSeconds) - half);
    const row = free === -1 ? rowEnds.indexOf(Math.min(...rowEnds)) : free;
    rowEnds[row] = x(e.atSeconds) + half;
    const labelY = barsBottom + 20 + row * 14;
    return (
      `<g class="marker"><line x1="${x(e.atSeconds)}" y1="${top}" x2="${x(e.atSeconds)}" y2="${labelY - 10}" class="mark"><title>${escape(formatSeconds(e.atSeconds))}: ${escape(e.text)}</title></line>` +
      `<text x="${x(e.atSeconds)}" y="${labelY}" class="mark-label">${escape(e.marker ?? "")}</text></g>`
    );
  });
  const figure = (name: string, value: number | null, badge = "") =>
    `<div class="figure"><div class="label">${name}</div><div class="value">${escape(formatSeconds(value))}</div>${badge}</div>`;
  const badge = (met: boolean | null, text: string) =>
    `<div class="target ${met === null ? "unknown" : met ? "met" : "missed"}">${escape(text)}</div>`;
  const t = report.targets;
  const rtoBadge = t ? badge(t.rto.met, `target ${formatSeconds(t.rto.targetSeconds)}: ${t.rto.met ? "met" : "MISSED"}`) : "";
  const rpoBadge = t ? badge(t.rpo.met, `budget ${formatSeconds(t.rpo.budgetSeconds)}: ${t.rpo.met === null ? "unknown" : t.rpo.met ? "met" : "MISSED"}`) : "";
  const targetLines = t ? Object.values(Failover.describeTargets(t, formatSeconds)) : [];
  const latencyRows = Object.entries(report.latencies)
    .map(([name, value]) => {
      const f = latencyModel[name as LatencyName];
      return `<tr><td>${escape(name)}</td><td>${value.toFixed(1)} s</td><td>${f ? `${f.best} / ${f.typical} / ${f.bad} s` : ""}</td><td>${escape(f?.source ?? "")}</td></tr>`;
    })
    .join("");
  const e = report.endState;
  const endRows: [string, string][] = [
    ["writable databases", e.writableDatabases.join(", ") || "none"],
    ["DR service", `${e.drDesiredTasks} desired, ${e.drHealthyTargets} healthy targets`],
    ["primary service", `${e.primaryDesiredTasks} desired`],
    ["PRIMARY DNS record", e.primaryRecordTarget ?? "no Route 53 records"],
    ["failover lock", e.failoverLockHeld ? "HELD" : "free"],
    ["execution ended in", report.execution ? `${report.execution.endStateName ?? "?"} (${report.execution.status})` : "no execution"],
  ];
  const banner = headline(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilot-light rehearsal: ${escape(report.scenario)} (seed ${report.seed})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;max-width:980px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6472}.verdict{margin:12px 0;padding:8px 12px;border-radius:6px;font-weight:600}
.verdict.ok{background:#e7f5ec;color:#1d6b3a}.verdict.missed{background:#fdf3e1;color:#8a5a00}.verdict.failed{background:#fdecea;color:#a32a20}
.figures{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.figure{border:1px solid #d5dae1;border-radius:6px;padding:8px 14px;min-width:130px}
.figure .label{color:#5b6472;font-size:12px}.figure .value{font-size:20px;font-weight:600}
.target{font-size:12px;font-weight:600;margin-top:2px}.target.met{color:#1d6b3a}.target.missed{color:#c9372c}.target.unknown{color:#5b6472}
svg{border:1px solid #e3e7ec;border-radius:6px;background:#fbfcfd}
.grid{stroke:#e3e7ec}.tick{font-size:11px;fill:#5b6472;text-anchor:middle}
.name{font-size:12px;text-anchor:end;fill:#1d2430}.dur{font-size:11px;fill:#5b6472}.dur.bad{fill:#c9372c;font-weight:600}
.bar{fill:#2f6fdf}.bar.failed,.bar.timed-out{fill:#c9372c}.bar.critical{stroke:#1d2430;stroke-width:2}
.mark{stroke:#8a5a00;stroke-dasharray:4 3}.mark-label{font-size:11px;fill:#8a5a00;text-anchor:middle}
.legend{font-size:12px;color:#5b6472;margin:4px 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e7ec;padding:4px 6px;text-align:left;vertical-align:top}
tr.bad td{color:#a32a20}ul.advice li{margin:4px 0}
</style></head><body>
<h1>Outage rehearsal: ${escape(report.scenario)}</h1>
<div class="meta">seed ${report.seed} · profile ${escape(report.profile)} · ran in ${Math.round(report.wallMilliseconds)} ms of wall time</div>
<div class="verdict ${banner.tone}">${escape(banner.text)}${report.execution?.endStateName ? ` · end state ${escape(report.execution.endStateName)}` : ""}</div>
<div class="figures">${figure("Detection", report.detectionSeconds)}${figure("Orchestration", report.orchestrationSeconds)}${figure("RTO", report.rtoSeconds, rtoBadge)}${figure("RPO (estimate)", report.rpoSeconds, rpoBadge)}</div>
${targetLines.length > 0 ? `<ul class="targets">${targetLines.map((l) => `<li>${escape(l)}</li>`).join("")}</ul>` : `<p class="targets">No recovery was due in this scenario, so no target applies.</p>`}
<h2>What to change</h2>
${report.advice.length > 0 ? `<ul class="advice">${report.advice.map((a) => `<li>${escape(a)}</li>`).join("")}</ul>` : `<p class="advice">${t ? "Nothing stands out." : "Nothing: no recovery target applies to this scenario."}</p>`}
<h2>Timeline (from the start of the outage)</h2>
<div class="legend">Outlined bars: the critical path (${escape(report.criticalPath.join(" » ") || "none")}). Red: failed or timed out. Dashed lines: events.</div>
<svg role="img" aria-label="Gantt chart of the rehearsal's phases" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
${ticks.join("\n")}
${bars.join("\n")}
${marks.join("\n")}
</svg>
<h2>Phases</h2>
<table class="phases"><tr><th>phase</th><th>from</th><th>to</th><th>took</th><th>outcome</th><th>critical</th></tr>${rows
    .map(
      (p) =>
        `<tr class="${p.outcome === "ok" ? "" : "bad"}"><td>${escape(p.name)}</td><td>${escape(formatSeconds(p.startSeconds))}</td><td>${escape(formatSeconds(p.endSeconds))}</td><td>${escape(formatSeconds(p.endSeconds - p.startSeconds))}</td><td>${escape(p.outcome)}${p.error ? `: ${escape(p.error)}` : ""}</td><td>${p.critical ? "yes" : ""}</td></tr>`,
    )
    .join("")}</table>
<h2>End state</h2>
<table class="end-state">${endRows.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join("")}</table>
<h2>Events</h2>
<table class="events"><tr><th>at</th><th>what</th></tr>${report.events.map((ev) => `<tr><td>${escape(formatSeconds(ev.atSeconds))}</td><td>${escape(ev.text)}</td></tr>`).join("")}</table>
<h2>Notifications sent</h2>
<table class="notifications"><tr><th>at</th><th>kind</th><th>subject</th></tr>${report.notifications.map((n) => `<tr><td>${escape(formatSeconds(n.atSeconds))}</td><td>${escape(n.kind)}</td><td>${escape(n.subject)}</td></tr>`).join("") || `<tr><td colspan="3">none</td></tr>`}</table>
<h2>Latencies drawn for this seed</h2>
<table><tr><th>latency</th><th>drawn</th><th>best / typical / bad</th><th>source</th></tr>${latencyRows}</table>
</body></html>
`;
}

function niceStep(end: number): number {
  for (const step of [15, 30, 60, 120, 300, 600, 900, 1800]) if (end / step <= 12) return step;
  return 3600;
}

/** The failback and lifecycle pages' style: one look for the workflows after a failover. */
const workflowPageStyle = `<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;max-width:980px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6472}.verdict{margin:12px 0;padding:8px 12px;border-radius:6px;font-weight:600}
.verdict.ok{background:#e7f5ec;color:#1d6b3a}.verdict.failed{background:#fdecea;color:#a32a20}
.figures{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.figure{border:1px solid #d5dae1;border-radius:6px;padding:8px 14px;min-width:130px}
.figure .label{color:#5b6472;font-size:12px}.figure .value{font-size:20px;font-weight:600}
svg{border:1px solid #e3e7ec;border-radius:6px;background:#fbfcfd}
.name{font-size:12px;text-anchor:end;fill:#1d2430}.bar.failover{fill:#c9372c}.bar.reprotect{fill:#2f6fdf}.bar.switchback{fill:#1d6b3a}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e7ec;padding:4px 6px;text-align:left;vertical-align:top}
tr.bad td{color:#a32a20}
</style>`;

/** What a failback rehearsal exists to show: every workflow succeeds; a round trip ends in the original topology. */
export function failbackMet(report: FailbackReport): boolean {
  return report.runs.every((r) => r.status === "SUCCEEDED") && (report.scenario !== "round-trip" || report.originalTopology);
}

/**
 * The failback rehearsals' HTML page (reprotect, switchback, round-trip): the verdict, the
 * figures that judge a failback (write downtime, lost writes), each workflow's run and phases on
 * one timeline, the events and the notifications. Self-contained like the outage report.
 */
export function renderFailbackHtml(report: FailbackReport): string {
  const ok = failbackMet(report);
  const end = Math.max(60, ...report.phases.map((p) => p.endSeconds), ...report.events.map((e) => e.atSeconds));
  const width = 900;
  const label = 300;
  const x = (s: number) => label + (Math.max(0, s) / end) * (width - label - 20);
  const bars = report.phases
    .map((p, i) => {
      const y = 10 + i * 26;
      return `<g class="phase" data-workflow="${p.workflow}"><text x="${label - 8}" y="${y + 17}" class="name">${escape(`${p.workflow}: ${p.name}`)}</text><rect x="${x(p.startSeconds)}" y="${y + 4}" width="${Math.max(2, x(p.endSeconds) - x(p.startSeconds))}" height="18" class="bar ${p.workflow}"/></g>`;
    })
    .join("");
  const figure = (name: string, value: string) => `<div class="figure"><div class="label">${escape(name)}</div><div class="value">${escape(value)}</div></div>`;
  const lost = report.lostWritesInSwitchback;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilot-light rehearsal: ${escape(report.scenario)} (seed ${report.seed})</title>
${workflowPageStyle}</head><body>
<h1>Failback rehearsal: ${escape(report.scenario)}</h1>
<div class="meta">seed ${report.seed} · ran in ${Math.round(report.wallMilliseconds)} ms of wall time</div>
<div class="verdict ${ok ? "ok" : "failed"}">${escape(
    ok
      ? report.originalTopology
        ? "back in the original topology: the primary serves, DR is a pilot light with a replica"
        : "re-protected the other way: DR serves, the primary region is a pilot light with a replica"
      : `not what the scenario exists to show: ${report.runs.map((r) => `${r.workflow} ${r.status} (${r.endState})`).join(", ")}`,
  )}</div>
<div class="figures">${figure("Round trip", formatSeconds(report.roundTripSeconds))}${figure("Re-protect", formatSeconds(report.reprotectSeconds))}${figure("Switchback", formatSeconds(report.switchbackSeconds))}${figure("Write downtime (switchback)", formatSeconds(report.writeDowntimeSeconds))}${figure("Lost writes (switchback, must be 0)", lost === null ? "—" : String(lost))}${figure("Lost writes (failover: its RPO)", report.lostWritesInFailover === null ? "—" : String(report.lostWritesInFailover))}</div>
<h2>Runs</h2>
<table class="runs"><tr><th>workflow</th><th>status</th><th>end state</th><th>from</th><th>to</th></tr>${report.runs
    .map(
      (r) =>
        `<tr class="${r.status === "SUCCEEDED" ? "" : "bad"}"><td>${escape(r.workflow)}</td><td>${escape(r.status)}</td><td>${escape(r.endState)}</td><td>${escape(formatSeconds(r.startSeconds))}</td><td>${escape(formatSeconds(r.endSeconds))}</td></tr>`,
    )
    .join("")}</table>
<h2>Phases (from the start of the outage)</h2>
<svg width="${width}" height="${20 + report.phases.length * 26}" role="img" aria-label="phases">${bars}</svg>
<h2>Events</h2>
<table class="events">${report.events.map((e) => `<tr><td>${escape(formatSeconds(e.atSeconds))}</td><td>${escape(e.text)}</td></tr>`).join("")}</table>
<h2>Notifications</h2>
<table class="notifications">${report.notifications.map((n) => `<tr><td>${escape(formatSeconds(n.atSeconds))}</td><td>${escape(n.kind)}</td></tr>`).join("")}</table>
</body></html>
`;
}

/**
 * The lifecycle rehearsal's page: over the seeds, per generation, RTO p50/p95 and lost writes;
 * then each seed's generations (the region that failed, who failed over, RTO, RPO, lost writes,
 * re-protect, switchback, end state, problems), what struck while a workflow ran, and its
 * workflows with the invariants after each (a workflow that failed is marked only when its
 * generation did not meet: a run failed by an outage that struck it, told and rerun, is designed).
 */
export function renderLifecycleHtml(reports: LifecycleReport[], summary: LifecycleSummary): string {
  const ok = summary.met === reports.length;
  const rows = summary.perGeneration
    .map(
      (g) =>
        `<tr class="${g.met === g.runs ? "" : "bad"}"><td>${g.generation}</td><td>${g.met}/${g.runs}</td><td>${g.failedOverAutomatically}/${g.runs}</td><td>${escape(formatSeconds(g.rtoP50Seconds))}</td><td>${escape(formatSeconds(g.rtoP95Seconds))}</td><td>${g.lostWritesInFailoverP50 ?? "—"} / ${g.lostWritesInFailoverMax ?? "—"}</td><td>${g.switchbacks}</td><td>${g.switchbacks === 0 ? "—" : (g.lostWritesInSwitchbacks ?? "unknown")}</td><td>${escape(g.interruptions.map((i) => `${i.kind} ${i.ok}/${i.runs} (struck ${i.struck}${i.toldMaxSeconds !== undefined ? `; told within ${formatSeconds(i.toldMaxSeconds)}` : ""}${i.writeDowntimeMaxSeconds !== undefined ? `, write downtime up to ${formatSeconds(i.writeDowntimeMaxSeconds)}, lost writes ${i.lostWrites ?? "unknown"}` : ""})`).join("; ") || "—")}</td></tr>`,
    )
    .join("");
  const seedSection = (r: LifecycleReport) => `<h2>Seed ${r.seed}: ${r.met ? "every generation protected" : "NOT every generation protected"}</h2>
<table class="generations"><tr><th>gen</th><th>failed</th><th>failed over to</th><th>RTO</th><th>RPO</th><th>lost writes</th><th>re-protect</th><th>switchback</th><th>end state</th><th>problems</th></tr>${r.generations
    .map(
      (g) =>
        `<tr class="${g.met ? "" : "bad"}"><td>${g.generation}</td><td>${escape(g.failedRegion)}</td><td>${escape(g.failedOverTo ?? "none")}</td><td>${escape(formatSeconds(g.rtoSeconds))}</td><td>${escape(formatSeconds(g.rpoSeconds))}</td><td>${g.lostWritesInFailover ?? "—"}</td><td>${escape(g.strandedOutage ? `${g.strandedOutage.region} failed before it: ${g.strandedOutage.toldAfterSeconds === null ? "nobody told" : `told after ${formatSeconds(g.strandedOutage.toldAfterSeconds)}`}; ` : "")}${g.reprotected ? "done" : "NOT done"}</td><td>${
          g.switchback ? escape(`${g.switchback.status}, ${formatSeconds(g.switchback.seconds)}, write downtime ${formatSeconds(g.switchback.writeDowntimeSeconds)}, lost ${g.switchback.lostWrites ?? "?"}`) : "—"
        }</td><td>${escape(`${g.endState.writableDatabases.join(", ") || "no"} writable; DNS → ${g.endState.dnsRegion ?? "nothing"}; users ${g.endState.usersServed ? "served" : "NOT served"}`)}</td><td>${escape(g.problems.join("; ") || "—")}</td></tr>`,
    )
    .join("")}</table>
<table class="interruptions"><tr><th>gen</th><th>what struck</th><th>region</th><th>at</th><th>during</th><th>outcome</th><th>told</th><th>detail</th></tr>${r.generations
    .flatMap((g) =>
      g.interruptions.map(
        (i) =>
          `<tr class="${i.ok ? "" : "bad"}"><td>${g.generation}</td><td>${escape(i.kind)}</td><td>${escape(i.region)}</td><td>${escape(formatSeconds(i.atSeconds))}</td><td>${escape(i.duringStep ?? "—")}</td><td>${escape(i.outcome)}</td><td>${i.told ? "yes" : "no"}</td><td>${escape(i.detail)}</td></tr>`,
      ),
    )
    .join("")}</table>
<table class="workflows"><tr><th>gen</th><th>workflow</th><th>region</th><th>execution</th><th>status</th><th>from</th><th>to</th><th>invariants after</th></tr>${r.generations
    .flatMap((g) =>
      g.workflows.map(
        (w) =>
          `<tr class="${w.invariantViolations.length === 0 && (w.status === "SUCCEEDED" || g.met) ? "" : "bad"}"><td>${g.generation}</td><td>${escape(w.workflow)}</td><td>${escape(w.region)}</td><td>${escape(w.execution)}</td><td>${escape(w.status)} (${escape(w.endState)})</td><td>${escape(formatSeconds(w.startSeconds))}</td><td>${escape(formatSeconds(w.endSeconds))}</td><td>${escape(w.invariantViolations.join("; ") || "hold")}</td></tr>`,
      ),
    )
    .join("")}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilot-light rehearsal: lifecycle (${reports.length} seed${reports.length === 1 ? "" : "s"})</title>
${workflowPageStyle}</head><body>
<h1>Lifecycle rehearsal: outage after outage, both directions</h1>
<div class="meta">seeds ${escape(summary.seeds.join(", "))} · ${summary.wallSecondsTotal} s of wall time</div>
<div class="verdict ${ok ? "ok" : "failed"}">${escape(ok ? "every generation of every seed ended with one writable database and users on it" : `${reports.length - summary.met} of ${reports.length} seeds had a generation that did not`)}</div>
<h2>Per generation, over the seeds</h2>
<table class="summary"><tr><th>gen</th><th>met</th><th>failed over by itself</th><th>RTO p50</th><th>RTO p95</th><th>lost writes in the failover (p50 / max)</th><th>switchbacks</th><th>lost writes in switchbacks</th><th>interruptions (ended as designed / runs)</th></tr>${rows}</table>
${reports.map(seedSection).join("\n")}
</body></html>
`;
}
