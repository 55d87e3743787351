// Checks that relate several config keys. They read the raw (or partly parsed) value defensively,
// so they run even when single keys are invalid and the user sees every problem in one go.
import { isPlainObject } from "../catalog/merge";
import { configKeys } from "./keys";
import type { Issue } from "./problems";
import { isRegionOf } from "./regions";
import type { RegionPair } from "./regions";

export function crossKeyIssues(value: unknown, pair: RegionPair): Issue[] {
  if (!isPlainObject(value)) return [];
  return [
    ...serverIssues(value, pair),
    ...domainIssues(value, pair),
    ...credentialIssues(value),
    ...unknownKeyIssues(value),
  ];
}

function regionEntry(value: Record<string, unknown>, region: string): Record<string, unknown> | undefined {
  const regions = value["regions"];
  if (!isPlainObject(regions)) return undefined;
  const entry = regions[region];
  return isPlainObject(entry) ? entry : undefined;
}

/** The stack's own region must say where its servers are. */
function serverIssues(value: Record<string, unknown>, pair: RegionPair): Issue[] {
  const region = value["region"];
  if (!isRegionOf(pair, region) || regionEntry(value, region)?.["servers"] !== undefined) return [];
  return [
    {
      path: ["regions", region, "servers"],
      message:
        `is not set; list the NATS client URLs of ${region} (the stack's region) in Pulumi.${region}.yaml under ` +
        `nats-dr:regions -> ${region} -> servers, e.g. ["nats://nats.${region}.internal:4222"]`,
    },
  ];
}

/** Each region is its own JetStream domain; a mirror names the other one. */
function domainIssues(value: Record<string, unknown>, pair: RegionPair): Issue[] {
  const explicit = (region: string) => {
    const domain = regionEntry(value, region)?.["domain"];
    return typeof domain === "string" ? domain : undefined;
  };
  const domainOf = (region: string) => explicit(region) ?? region;
  const [first, second] = pair;
  if (domainOf(first) !== domainOf(second)) return [];
  // Blame the region whose domain was written down (the other one may just use its default).
  const [culprit, other] = explicit(second) !== undefined ? [second, first] : [first, second];
  return [
    {
      path: ["regions", culprit, "domain"],
      message: `"${domainOf(culprit)}" is also the domain of ${other}; each region is its own JetStream domain, so give them different names`,
    },
  ];
}

type CatalogStream = { spec?: { name?: unknown }; replication?: { kind?: unknown; homeRegion?: unknown } };

/** The parsed catalog's streams, or undefined when the catalog did not parse. */
function catalogStreams(value: Record<string, unknown>): CatalogStream[] | undefined {
  const catalog = value["catalog"];
  return isPlainObject(catalog) && Array.isArray(catalog["streams"])
    ? (catalog["streams"] as CatalogStream[])
    : undefined;
}

function namesOf(streams: readonly CatalogStream[]): string[] {
  return streams.map((stream) => stream.spec?.name).filter((name): name is string => typeof name === "string");
}

/** nats-dr:allowRecreateOverMirror names replicated streams of the catalog (a typo would protect nothing it meant to allow). */
export function recreateIssues(value: unknown): Issue[] {
  if (!isPlainObject(value)) return [];
  const names = value["allowRecreateOverMirror"];
  const streams = catalogStreams(value);
  if (!Array.isArray(names) || streams === undefined) return [];
  const replicated = namesOf(streams.filter((stream) => stream.replication?.kind !== "home"));
  return names.flatMap((name, index) =>
    typeof name === "string" && !replicated.includes(name)
      ? [
          {
            path: ["allowRecreateOverMirror", index],
            message: `"${name}" is not a replicated stream of the catalog (${replicated.join(", ") || "none"}); name the stream to create anew, or remove the entry`,
          },
        ]
      : [],
  );
}

/** nats-dr:adoptStreams names catalog streams that exist in this stack's region (a typo would adopt nothing). */
export function adoptIssues(value: unknown, pair: RegionPair): Issue[] {
  if (!isPlainObject(value)) return [];
  const names = value["adoptStreams"];
  const region = value["region"];
  const streams = catalogStreams(value);
  if (!Array.isArray(names) || streams === undefined) return [];
  const here = namesOf(
    streams.filter((stream) => stream.replication?.kind !== "home" || stream.replication.homeRegion === region),
  );
  return names.flatMap((name, index) =>
    typeof name === "string" && !here.includes(name)
      ? [
          {
            path: ["adoptStreams", index],
            message: `"${name}" is not a catalog stream of ${isRegionOf(pair, region) ? region : "this region"} (${here.join(", ") || "none"}); name a stream of nats-dr:catalog.streams that lives here, or remove the entry`,
          },
        ]
      : [],
  );
}

/** At most one way to authenticate: natsUser + natsPassword, natsToken, or natsCreds. */
function credentialIssues(value: Record<string, unknown>): Issue[] {
  // With servers on Kubernetes no credential key applies (kubernetesIssues refuses each).
  if (value["kubernetes"] !== undefined) return [];
  const has = (key: string) => value[key] !== undefined;
  const issues: Issue[] = [];
  if (has("natsPassword") && !has("natsUser")) {
    issues.push({
      path: ["natsUser"],
      message: "is not set but nats-dr:natsPassword is; run pulumi config set nats-dr:natsUser <user>",
    });
  }
  if (has("natsUser") && !has("natsPassword")) {
    issues.push({
      path: ["natsPassword"],
      message: "is not set but nats-dr:natsUser is; run pulumi config set --secret nats-dr:natsPassword <password>",
    });
  }
  const methods = [
    has("natsUser") || has("natsPassword") ? "natsUser/natsPassword" : undefined,
    has("natsToken") ? "natsToken" : undefined,
    has("natsCreds") ? "natsCreds" : undefined,
  ].filter((method): method is string => method !== undefined);
  if (methods.length > 1) {
    issues.push({
      path: [methods[1]!], // natsToken or natsCreds: a single key
      message: `set only one way to authenticate, found ${methods.join(" and ")}; remove all but one with pulumi config rm`,
    });
  }
  return issues;
}

function unknownKeyIssues(value: Record<string, unknown>): Issue[] {
  const unknownKeys = value["unknownKeys"];
  if (!Array.isArray(unknownKeys)) return [];
  return unknownKeys
    .filter((key): key is string => typeof key === "string")
    .map((key) => {
      const guess = closest(key, configKeys);
      const hint = guess ? `did you mean "nats-dr:${guess}"? ` : "";
      return {
        path: [key],
        message: `is not a setting of nats-dr; ${hint}see docs/configuration.md for the settings, or remove it with pulumi config rm nats-dr:${key}`,
      };
    });
}

/** The known key within edit distance 2 (case-insensitive), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
