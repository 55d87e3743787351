// Subject-pattern containment, complementing subjectsOverlap in streams/names.ts.

/**
 * True when every subject `filter` matches is also matched by `pattern`: "events.*" covers
 * "events.analytics" and "events.*", but not "events.>" nor "journey.*".
 */
export function subjectCovers(pattern: string, filter: string): boolean {
  const outer = pattern.split(".");
  const inner = filter.split(".");
  for (let index = 0; ; index++) {
    const left = outer[index];
    const right = inner[index];
    if (left === undefined || right === undefined) return left === right;
    if (left === ">") return true;
    if (right === ">") return false;
    if (left === "*") continue;
    if (right === "*" || left !== right) return false;
  }
}
