// Every Kubernetes object the whole program declares (infra/index.ts under mocks) lets the
// provider's server-side apply take back a field someone changed with kubectl: the servers', the
// checkpointer's, the backup's and the monitoring's objects alike, ConfigMaps updated in place
// included (test/e2e/kubernetes.test.ts shows the conflict without it on a real API server).
import { describe, expect, it, vi } from "vitest";
import { runProgram } from "./program";

const loadProgram = () => import("../../infra/index.js");

describe("kubernetes ownership", () => {
  it("every object of a region stack carries pulumi.com/patchForce", async () => {
    vi.resetModules();
    const found = await runProgram("us-east-1", "us-east-1", loadProgram);
    const objects = [...found.values()].filter(
      (entry) => entry.type.startsWith("kubernetes:") && entry.type !== "pulumi:providers:kubernetes",
    );
    const names = objects.map((entry) => entry.name);
    // The four parts are all there, so the check below covers each of them.
    for (const part of ["nats-statefulset", "checkpointer-script", "backup-cronjob", "monitoring-dashboard"])
      expect(names.some((name) => name.endsWith(part) || name === part)).toBe(true);
    const unforced = objects
      .filter((entry) => {
        const metadata = entry.inputs["metadata"] as { annotations?: Record<string, string> } | undefined;
        return metadata?.annotations?.["pulumi.com/patchForce"] !== "true";
      })
      .map((entry) => `${entry.type} ${entry.name}`);
    expect(unforced).toEqual([]);
  });
});
