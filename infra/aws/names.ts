// Names of the region's AWS resources. Pure and deterministic: the same project, stack and region
// always give the same name, so a preview never shows a rename.

/** Why `name` is not a valid general purpose S3 bucket name, or undefined when it is one. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63)
    return `"${name}" has ${name.length} characters; an S3 bucket name has 3 to 63`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return `"${name}" is not a bucket name; use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  if (/\.\.|\.-|-\./.test(name)) return `"${name}" has "..", ".-" or "-."; S3 does not allow them`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `"${name}" looks like an IP address; S3 does not allow that`;
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (name.startsWith(prefix)) return `"${name}" starts with "${prefix}", a prefix S3 reserves`;
  }
  for (const suffix of ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"]) {
    if (name.endsWith(suffix)) return `"${name}" ends with "${suffix}", a suffix S3 reserves`;
  }
  return undefined;
}

/** Lower-case, every run of characters S3 does not allow turned into one "-". */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * `<project>-<stack>-<region>-backups`, the region left out when the stack is named after it
 * (`nats-dr-us-east-1-backups`). Too long a name is cut and given a short stable hash of the full
 * name so two long stacks still differ. Throws when the result is still not a valid name.
 */
export function backupBucketName(project: string, stack: string, region: string): string {
  const parts = [slug(project), slug(stack), ...(slug(stack) === slug(region) ? [] : [slug(region)]), "backups"];
  let name = parts.filter((part) => part !== "").join("-");
  if (name.length > 63) name = `${name.slice(0, 54).replace(/-+$/, "")}-${fnv1a(name)}`;
  const problem = s3BucketNameProblem(name);
  if (problem) throw new Error(`backup bucket name: ${problem}; set nats-dr:backup.bucketName`);
  return name;
}

/** 8 hex digits of the FNV-1a hash of `text`. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
