/**
 * Renders a rehearsal report as one self-contained HTML page (inline CSS and SVG, no scripts,
 * no network): summary figures, a Gantt chart of the phases on the outage's timeline,
 * the notifications people received, and the latency draw with its sources.
 */
import { latencyModel, type LatencyName } from "../latency";
import type { RehearsalReport } from "./schema";

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

export function formatSeconds(s: number | null): string {
  if (s === null) return "—";
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return m > 0 ? `${m} min ${String(rest).padStart(2, "0")} s` : `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

export function renderHtml(report: RehearsalReport): string {
  const rows = report.phases;
  const end = Math.max(60, ...rows.map((p) => p.endSeconds), ...report.events.map((e) => e.atSeconds));
  const width = 900;
  const label = 230;
  const rowHeight = 26;
  const top = 30;
  const height = top + rows.length * rowHeight + 40;
  const x = (s: number) => label + (s / end) * (width - label - 90);
  const tickStep = niceStep(end);
  const ticks: string[] = [];
  for (let t = 0; t <= end; t += tickStep) {
    ticks.push(
      `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 30}" class="grid"/>` +
        `<text x="${x(t)}" y="${top - 10}" class="tick">${t % 60 === 0 ? `${t / 60} min` : `${t} s`}</text>`,
    );
  }
  const bars = rows.map((p, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, x(p.endSeconds) - x(p.startSeconds));
    const cls = p.outcome === "ok" ? "bar" : "bar failed";
    return (
      `<g class="phase"><text x="${label - 8}" y="${y + 17}" class="name">${escape(p.name)}</text>` +
      `<rect x="${x(p.startSeconds)}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" rx="3" class="${cls}">` +
      `<title>${escape(p.name)}: ${formatSeconds(p.startSeconds)} → ${formatSeconds(p.endSeconds)} (${escape(p.outcome)})</title></rect>` +
      `<text x="${x(p.endSeconds) + 4}" y="${y + 17}" class="dur">${escape(formatSeconds(p.endSeconds - p.startSeconds))}</text></g>`
    );
  });
  const marks = report.events.map(
    (e) =>
      `<line x1="${x(e.atSeconds)}" y1="${top}" x2="${x(e.atSeconds)}" y2="${height - 30}" class="mark"><title>${escape(e.text)}</title></line>`,
  );
  const figure = (name: string, value: number | null) =>
    `<div class="figure"><div class="label">${name}</div><div class="value">${escape(formatSeconds(value))}</div></div>`;
  const latencyRows = Object.entries(report.latencies)
    .map(([name, value]) => {
      const f = latencyModel[name as LatencyName];
      return `<tr><td>${escape(name)}</td><td>${value.toFixed(1)} s</td><td>${f ? `${f.best} / ${f.typical} / ${f.bad} s` : ""}</td><td>${escape(f?.source ?? "")}</td></tr>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilot-light rehearsal: ${escape(report.scenario)} (seed ${report.seed})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;max-width:980px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6472}.figures{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.figure{border:1px solid #d5dae1;border-radius:6px;padding:8px 14px;min-width:130px}
.figure .label{color:#5b6472;font-size:12px}.figure .value{font-size:20px;font-weight:600}
svg{border:1px solid #e3e7ec;border-radius:6px;background:#fbfcfd}
.grid{stroke:#e3e7ec}.tick{font-size:11px;fill:#5b6472;text-anchor:middle}
.name{font-size:12px;text-anchor:end;fill:#1d2430}.dur{font-size:11px;fill:#5b6472}
.bar{fill:#2f6fdf}.bar.failed{fill:#c9372c}.mark{stroke:#c9372c;stroke-dasharray:4 3}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e7ec;padding:4px 6px;text-align:left;vertical-align:top}
.outcome{font-weight:600}
</style></head><body>
<h1>Outage rehearsal: ${escape(report.scenario)}</h1>
<div class="meta">seed ${report.seed} · profile ${escape(report.profile)} · <span class="outcome">${escape(report.outcome)}</span> · ran in ${Math.round(report.wallMilliseconds)} ms of wall time</div>
<div class="figures">${figure("Detection", report.detectionSeconds)}${figure("Orchestration", report.orchestrationSeconds)}${figure("RTO", report.rtoSeconds)}${figure("RPO (estimate)", report.rpoSeconds)}</div>
<h2>Timeline (from the start of the outage)</h2>
<svg role="img" aria-label="Gantt chart of the rehearsal's phases" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
${ticks.join("\n")}
${bars.join("\n")}
${marks.join("\n")}
</svg>
<h2>Events</h2>
<table><tr><th>at</th><th>what</th></tr>${report.events.map((e) => `<tr><td>${escape(formatSeconds(e.atSeconds))}</td><td>${escape(e.text)}</td></tr>`).join("")}</table>
<h2>Notifications sent</h2>
<table><tr><th>at</th><th>kind</th><th>subject</th></tr>${report.notifications.map((n) => `<tr><td>${escape(formatSeconds(n.atSeconds))}</td><td>${escape(n.kind)}</td><td>${escape(n.subject)}</td></tr>`).join("") || `<tr><td colspan="3">none</td></tr>`}</table>
<h2>Latencies drawn for this seed</h2>
<table><tr><th>latency</th><th>drawn</th><th>best / typical / bad</th><th>source</th></tr>${latencyRows}</table>
</body></html>
`;
}

function niceStep(end: number): number {
  for (const step of [15, 30, 60, 120, 300, 600, 900, 1800]) if (end / step <= 12) return step;
  return 3600;
}
