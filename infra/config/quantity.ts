// Kubernetes resource quantities ("100Gi", "500m", "2") as the API server reads them. Checked in
// the config so a typo stops `pulumi preview` with the key's name instead of failing the apply.

const BYTE_SUFFIXES: Readonly<Record<string, number>> = {
  "": 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
};

/**
 * Bytes of a memory or storage quantity such as "100Gi", "512Mi", "5G" or "1073741824", or an
 * error sentence. Fractions are accepted when they come out as whole bytes ("1.5Gi").
 */
export function quantityBytes(text: string): { bytes: number } | { error: string } {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(text.trim());
  const bytes = match ? Number(match[1]) * BYTE_SUFFIXES[match[2] ?? ""]! : Number.NaN;
  if (!match) {
    return {
      error: `${JSON.stringify(text)} is not a Kubernetes quantity of bytes; write a number with a unit such as "100Gi", "512Mi" or "5G" (units: Ki, Mi, Gi, Ti, Pi, k, M, G, T, P)`,
    };
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    return { error: `${JSON.stringify(text)} is not a positive whole number of bytes` };
  return { bytes };
}

/** Millicores of a CPU quantity such as "1", "1.5" or "500m", or an error sentence. */
export function quantityMillicores(text: string): { millicores: number } | { error: string } {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(text.trim());
  const millicores = match ? Number(match[1]) * (match[2] === "m" ? 1 : 1000) : Number.NaN;
  if (!match || !Number.isInteger(millicores) || millicores <= 0) {
    return { error: `${JSON.stringify(text)} is not a CPU quantity; write cores ("1", "1.5") or millicores ("500m")` };
  }
  return { millicores };
}
