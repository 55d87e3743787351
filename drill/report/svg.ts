// The drill's chart: acknowledged publishes per second (top) and mirror lag (bottom) over the
// drill, with the scenario events marked. Hand-written SVG, deterministic for the same input.
import type { SeriesPoint, TimelineEvent } from "./types";

const WIDTH = 960;
const PANEL = 170;
const LEFT = 70;
const RIGHT = 20;
const TOP = 60;
const GAP = 50;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fixed(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/** A round axis maximum at or above `value` (1, 2, 5 x 10^n). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly top: number;
  readonly color: string;
  readonly values: readonly (number | null)[];
}

function panel(points: readonly SeriesPoint[], endMs: number, spec: Panel): string[] {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const max = niceMax(Math.max(0, ...spec.values.filter((value): value is number => value !== null)));
  const x = (at: number) => LEFT + (at / Math.max(1, endMs)) * plotWidth;
  const y = (value: number) => spec.top + PANEL - (value / max) * PANEL;
  const out = [
    `<text x="${LEFT}" y="${spec.top - 8}" class="title">${escape(spec.title)}</text>`,
    `<rect x="${LEFT}" y="${spec.top}" width="${plotWidth}" height="${PANEL}" class="frame"/>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${fixed(y(value))}" y2="${fixed(y(value))}" class="grid"/>`,
    );
    out.push(
      `<text x="${LEFT - 6}" y="${fixed(y(value) + 4)}" class="axis" text-anchor="end">${escape(`${Math.round(value)} ${spec.unit}`)}</text>`,
    );
  }
  // A gap in the data (no sample) breaks the line instead of drawing across it.
  let path = "";
  let drawing = false;
  points.forEach((point, index) => {
    const value = spec.values[index];
    if (value === null || value === undefined) {
      drawing = false;
      return;
    }
    path += `${drawing ? "L" : "M"}${fixed(x(point.at))} ${fixed(y(value))} `;
    drawing = true;
  });
  if (path !== "") out.push(`<path d="${path.trim()}" fill="none" stroke="${spec.color}" stroke-width="1.5"/>`);
  return out;
}

/** A stretch of the drill (a scenario), shaded and named above the panels. */
export interface ChartSpan {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

/**
 * The SVG document for the series, the scenarios (`spans`) and the events; `endMs` is the drill's
 * length. Events are numbered on the plot and listed below it, so long labels never overlap.
 */
export function renderChart(
  points: readonly SeriesPoint[],
  events: readonly TimelineEvent[],
  spans: readonly ChartSpan[],
  endMs: number,
  title: string,
): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (at: number) => LEFT + (at / Math.max(1, endMs)) * plotWidth;
  const lagTop = TOP + PANEL + GAP;
  const bottom = lagTop + PANEL;
  const legendTop = bottom + 62;
  const height = legendTop + events.length * 14 + 10;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    "<style>.title{font-weight:bold;font-size:12px}.axis{fill:#555}.frame{fill:none;stroke:#999}.grid{stroke:#ddd}.event{stroke:#c33;stroke-dasharray:3 3}.label{fill:#c33;font-size:10px}.span{fill:#f3f6fb}.spanlabel{fill:#456;font-size:10px}</style>",
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="14" class="title">${escape(title)}</text>`,
  ];
  spans.forEach((span, index) => {
    if (index % 2 === 1) return;
    // Every other scenario shaded, over both panels, so neighbours are told apart.
    lines.push(
      `<rect x="${fixed(x(span.from))}" y="${TOP}" width="${fixed(Math.max(0, x(span.to) - x(span.from)))}" height="${bottom - TOP}" class="span"/>`,
    );
  });
  spans.forEach((span) =>
    lines.push(`<text x="${fixed(x(span.from) + 2)}" y="${TOP - 22}" class="spanlabel">${escape(span.label)}</text>`),
  );
  lines.push(
    ...panel(points, endMs, {
      title: "acknowledged publishes per second",
      unit: "/s",
      top: TOP,
      color: "#2a6fdb",
      values: points.map((point) => point.publishRate),
    }),
    ...panel(points, endMs, {
      title: "mirror lag (oldest unmirrored message)",
      unit: "ms",
      top: lagTop,
      color: "#d97a00",
      values: points.map((point) => point.lagMs),
    }),
  );
  events.forEach((event, index) => {
    const at = fixed(x(event.at));
    lines.push(`<line x1="${at}" x2="${at}" y1="${TOP}" y2="${bottom}" class="event"/>`);
    lines.push(
      `<text x="${at}" y="${bottom + 12 + (index % 2) * 10}" class="label" text-anchor="middle">${index + 1}</text>`,
    );
    lines.push(
      `<text x="${LEFT}" y="${legendTop + index * 14}" class="label">${escape(`${index + 1}  ${(event.at / 1000).toFixed(1)} s  ${event.label}`)}</text>`,
    );
  });
  const seconds = Math.max(1, Math.ceil(endMs / 1000));
  const step = niceMax(seconds / 10);
  for (let second = 0; second <= seconds; second += step) {
    lines.push(
      `<text x="${fixed(x(second * 1000))}" y="${bottom + 42}" class="axis" text-anchor="middle">${second} s</text>`,
    );
  }
  lines.push("</svg>");
  return `${lines.join("\n")}\n`;
}
