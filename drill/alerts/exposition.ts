// The Prometheus text format the exporter serves, read into samples. Pure.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** As written: "1", "-1", "3.5e+09", "NaN". */
  readonly value: string;
}

/** Samples of the text format (comments skipped). Throws on a line that is not a sample. */
export function parseExposition(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      return { name: match[1]!, labels, value: match[3]! };
    });
}

/** `name{a="b",...}`, the series notation promtool reads. */
export function seriesText(name: string, labels: Readonly<Record<string, string>>): string {
  const body = Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(",");
  return `${name}{${body}}`;
}
