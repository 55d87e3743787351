// Value schemas of the Kubernetes settings: quantities, durations, names, CIDR ranges, pinned
// images. Each failure is one sentence that says how to write the value.
import { z } from "zod";
import { parseDuration } from "../../streams";
import { quantityBytes, quantityMillicores } from "./quantity";

/** A string; `what` says what it should look like. */
export function text(what: string) {
  return z.string({ error: () => `must be a string, ${what}` });
}

/** A Kubernetes quantity of bytes ("100Gi"). */
export function bytesQuantity(example: string) {
  return text(`a quantity such as "${example}"`).superRefine((value, context) => {
    const parsed = quantityBytes(value);
    if ("error" in parsed) context.addIssue({ code: "custom", message: parsed.error });
  });
}

/** A Kubernetes CPU quantity ("1", "500m"). */
export function cpuQuantity() {
  return text('a CPU quantity such as "1" or "500m"').superRefine((value, context) => {
    const parsed = quantityMillicores(value);
    if ("error" in parsed) context.addIssue({ code: "custom", message: parsed.error });
  });
}

/** A duration in whole seconds, written "30s" or "1m". */
export function seconds(minimum: number) {
  return text('a duration such as "30s"').transform((value, context) => {
    const parsed = parseDuration(value);
    const result = "error" in parsed ? Number.NaN : parsed.nanos / 1e9;
    if ("error" in parsed) context.addIssue({ code: "custom", message: parsed.error });
    else if (!Number.isInteger(result) || result < minimum) {
      context.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} must be whole seconds, at least ${minimum}s`,
      });
    }
    return result;
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Kubernetes object name (DNS label). */
export function dnsLabel(what: string) {
  return text(what).regex(
    DNS_LABEL,
    `must be a Kubernetes name: lower-case letters, digits and "-", at most 63, e.g. "nats"`,
  );
}

/** An IPv4 or IPv6 CIDR range. */
/** An IPv4 or IPv6 CIDR range (zod's own parsers). */
export function cidr() {
  const v4 = z.cidrv4();
  const v6 = z.cidrv6();
  return text('a CIDR range such as "10.20.0.0/16"').refine(
    (value) => v4.safeParse(value).success || v6.safeParse(value).success,
    'is not a CIDR range; write it like "10.20.0.0/16" (the other region\'s VPC) or "2600:1f18::/56"',
  );
}
