// The series names a PromQL expression reads, so the tests can hold rules and dashboard panels to
// one list (infra/monitoring/metrics.ts). Strips strings, label matchers, ranges, grouping clauses
// and numbers; what is left and not a function or keyword is a series name.
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);

export function usedSeries(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = stripped.slice(match.index + match[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names].sort();
}
