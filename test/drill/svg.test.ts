// The drill's hand-written SVG chart.
import { describe, expect, it } from "vitest";
import { niceMax, renderChart } from "../../drill/report/svg";
import type { SeriesPoint } from "../../drill/report/types";

const points: SeriesPoint[] = [
  { at: 0, publishRate: 200, lagMs: 10, lagMsgs: 1 },
  { at: 250, publishRate: 180, lagMs: null, lagMsgs: null },
  { at: 500, publishRate: 0, lagMs: 900, lagMsgs: 40 },
  { at: 750, publishRate: 220, lagMs: 30, lagMsgs: 2 },
];

describe("drill chart", () => {
  it("axis maxima are round numbers at or above the data", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(4500)).toBe(5000);
    expect(niceMax(1000)).toBe(1000);
  });

  it("two panels, a line per series that breaks where samples are missing, and the events", () => {
    const svg = renderChart(
      points,
      [{ at: 500, label: "activeRegion us-east-1 -> eu-central-1 & <more>" }],
      [{ from: 0, to: 600, label: "planned" }],
      1000,
      "drill",
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("acknowledged publishes per second");
    expect(svg).toContain("mirror lag (oldest unmirrored message)");
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((match) => match[1]!);
    expect(paths).toHaveLength(2);
    // Publish rate: one line through all four points.
    expect(paths[0]!.match(/[ML]/g)).toEqual(["M", "L", "L", "L"]);
    // Lag: the missing sample starts a new line.
    expect(paths[1]!.match(/[ML]/g)).toEqual(["M", "M", "L"]);
    // Numbered on the plot, listed with its time below.
    expect(svg).toContain("1  0.5 s  activeRegion us-east-1 -&gt; eu-central-1 &amp; &lt;more&gt;");
    expect(svg).toContain('class="spanlabel">planned</text>');
    expect(svg).toContain(">250 /s<");
    expect(svg).toContain(">1000 ms<");
  });

  it("the same input gives the same text", () => {
    expect(renderChart(points, [], [], 1000, "x")).toBe(renderChart(points, [], [], 1000, "x"));
  });

  it("an empty drill still renders a valid frame", () => {
    const svg = renderChart([], [], [], 0, "empty");
    expect(svg).not.toContain("<path");
    expect(svg).toContain("0 s");
  });
});
