// Taking over a stream that exists but was not created by nats-dr: the way to bring streams made
// by runbooks and scripts under a stack.
//
// `pulumi import` (CLI or the `import` resource option) cannot do it: the engine reads an imported
// resource with neither inputs nor state, so the dynamic provider host never receives the
// provider's code (`__provider`) and fails (pulumi/pulumi#16175; test/e2e/adopt.test.ts shows it
// with the pinned CLI). Instead, `nats-dr:adoptStreams` sets the input `adopt` and `create` takes
// the stream over when it already is what the catalog declares: same role, same origin for a
// mirror, same settings. Nothing about the stream changes but nats-dr's metadata (managed,
// instance), so adoption never discards a message; a later catalog change is a normal, previewed
// update. Once adopted, the stream fails over and back like one nats-dr created.
import type { StreamInfo } from "@nats-io/jetstream";
import { stableJson } from "./diff";
import { mirrorReadsAsDeclared } from "./mirrorFeed";
import type { StreamResourceInputs, StreamSpec } from "./spec";
import { domainApiPrefix, specFromWire } from "./wire";

/** Why `create` may not take over the unmanaged stream `existing`; undefined when it may. Pure. */
export function adoptionRefusal(inputs: StreamResourceInputs, existing: StreamInfo): string | undefined {
  const name = inputs.spec.name;
  const here = `stream ${name} already exists in domain "${inputs.domain}" and was not created by nats-dr`;
  if (inputs.adopt !== true) {
    return `${here}. To manage it as it is, add it to nats-dr:adoptStreams (pulumi config set --path 'nats-dr:adoptStreams[0]' ${name}) and run pulumi up again (pulumi import cannot adopt it: see "Adopting existing streams" in docs/failover.md); or back it up and delete it, or remove it from the catalog.`;
  }
  const role = existing.config.mirror ? "mirror" : "primary";
  if (role !== inputs.role) {
    const fix =
      role === "primary"
        ? `Adopt it in the stack of the region where it is the primary (nats-dr:activeRegion naming "${inputs.domain}"'s region), then fail over with nats-dr; or back it up and delete it, so this stack creates the mirror`
        : `Adopt it while the other region is active (it is the mirror there), then fail over with nats-dr; or back it up and delete it`;
    return `${here} and cannot be adopted: it is a ${role} here but this stack declares it a ${inputs.role}. Nothing was changed. ${fix}.`;
  }
  const problems: string[] = [];
  if ((existing.config.sources ?? []).length > 0)
    problems.push("it has sources, which nats-dr does not manage; remove them (nats stream edit) first");
  if (role === "mirror") {
    const mirror = existing.config.mirror!;
    const api = mirror.external?.api;
    if (mirror.name !== name || api !== domainApiPrefix(inputs.peerDomain ?? "")) {
      problems.push(
        `it mirrors ${mirror.name} through ${api ?? "its own domain"}, not ${name} of "${inputs.peerDomain}" (${domainApiPrefix(inputs.peerDomain ?? "")}); delete it so nats-dr creates the mirror`,
      );
    } else if (!mirrorReadsAsDeclared(existing, inputs)) {
      problems.push(
        "it reads its origin directly, but a mirror of an interest-retention stream reads through nats-dr's mirror feed; delete it so nats-dr creates the mirror (it copies the primary again)",
      );
    }
  }
  problems.push(...settingDifferences(inputs.spec, specFromWire(existing.config, inputs.spec).spec));
  if (problems.length === 0) return undefined;
  return `${here} and nats-dr:adoptStreams lists it, but it is not what the catalog declares, and adopting it would change it: ${problems.join("; ")}. Nothing was changed. Make nats-dr:catalog.streams.${name} say what the stream has and run pulumi up again; change its settings in a later pulumi up, where the preview shows the change.`;
}

/** "catalog.streams.<name>.<field> is X but the stream has Y", per differing setting. Pure. */
export function settingDifferences(declared: StreamSpec, live: StreamSpec): string[] {
  return (Object.keys(declared) as (keyof StreamSpec)[])
    .filter((field) => field !== "name" && stableJson(declared[field]) !== stableJson(live[field]))
    .sort()
    .map(
      (field) =>
        `${field} is ${stableJson(declared[field])} in the catalog but ${stableJson(live[field])} on the server`,
    );
}
