// Rules for JetStream names and subjects, shared by the stack config schema and the provider's
// `check`. Pure functions without imports: the dynamic provider captures them by value.

/** Stream and consumer names: the server rejects ".", "*", ">", whitespace and path separators. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;

export function nameProblem(name: string, what: "stream" | "consumer"): string | undefined {
  if (NAME_PATTERN.test(name)) return undefined;
  return `"${name}" is not a valid ${what} name; use 1-255 letters, digits, "-" or "_" (no ".", "*", ">", spaces or slashes)`;
}

/** A subject is dot-separated tokens; "*" is a whole token, ">" is the whole last token. */
export function subjectProblem(subject: string): string | undefined {
  const fix = 'write dot-separated tokens such as "orders.*" or "audit.>"';
  if (subject.length === 0) return `an empty subject is not allowed; ${fix}`;
  if (/\s/.test(subject)) return `"${subject}" contains whitespace; ${fix}`;
  const tokens = subject.split(".");
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.length === 0) return `"${subject}" has an empty token (".." or a leading/trailing "."); ${fix}`;
    if (token.includes(">") && (token !== ">" || index !== tokens.length - 1)) {
      return `"${subject}" uses ">" other than as the whole last token; ${fix}`;
    }
    if (token.includes("*") && token !== "*") return `"${subject}" uses "*" inside a token; ${fix}`;
  }
  return undefined;
}

/** True when some concrete subject would be matched by both patterns. */
export function subjectsOverlap(first: string, second: string): boolean {
  const a = first.split(".");
  const b = second.split(".");
  for (let index = 0; ; index++) {
    const left = a[index];
    const right = b[index];
    if (left === undefined || right === undefined) return left === right;
    if (left === ">" || right === ">") return true;
    if (left !== right && left !== "*" && right !== "*") return false;
  }
}
