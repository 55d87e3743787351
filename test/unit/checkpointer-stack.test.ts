// The checkpointer as the whole program declares it on Kubernetes (infra/index.ts under mocks):
// the script ConfigMap and the Deployment with the stack's own provider, the checkpoint stream,
// the alert watching it, and nothing of it with nats-dr:checkpoints.enabled false.
import { describe, expect, it, vi } from "vitest";
import type { Region } from "../../infra/config";
import type { FullRegistration } from "./awsMocks";
import { runProgram } from "./program";

type Run = Map<string, FullRegistration>;
const loadProgram = () => import("../../infra/index.js");
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";

async function run(stack: Region, overrides: Record<string, string | undefined> = {}): Promise<Run> {
  vi.resetModules();
  return runProgram(stack, "us-east-1", loadProgram, overrides);
}

describe("checkpointer stack", () => {
  it("a Kubernetes stack declares the checkpointer, its script and the checkpoint stream", async () => {
    const found = await run("eu-central-1");
    const provider = found.get("pulumi:providers:kubernetes::nats-kubernetes")!;
    const deployment = found.get(`${DEPLOYMENT}::checkpointer-deployment`)!;
    expect(deployment.provider).toContain(provider.name);
    expect(deployment.inputs).toMatchObject({ metadata: { name: "nats-checkpointer", namespace: "nats" } });
    // A password rotation restarts it with the servers.
    const statefulSet = [...found.values()].find((entry) => entry.type === "kubernetes:apps/v1:StatefulSet")!;
    const annotation = (entry: FullRegistration) =>
      (entry.inputs as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template
        .metadata.annotations["checksum/credentials"];
    expect(annotation(deployment)).toMatch(/^[0-9a-f]{8}$/);
    expect(annotation(deployment)).toBe(annotation(statefulSet));
    const script = found.get(`${CONFIGMAP}::checkpointer-script`)!;
    const text = (script.inputs["data"] as Record<string, string>)["checkpointer.sh"]!;
    expect(text).toContain("'--reply' 'natsdr.checkpoints.eu-central-1.");
    const stream = [...found.values()].find((entry) => entry.name === "jetstream-checkpoints")!;
    expect(stream.inputs["spec"]).toMatchObject({
      name: "natsdr-checkpoints",
      subjects: ["natsdr.checkpoints.us-east-1.>"],
    });
    expect(stream.inputs["role"]).toBe("primary");
    const rule = found.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule::monitoring-prometheus-rule")!;
    expect(JSON.stringify(rule.inputs)).toContain("NatsDrCheckpointsStale");
  });

  it("nats-dr:checkpoints.enabled false declares none of it", async () => {
    const found = await run("eu-central-1", { "nats-dr:checkpoints": JSON.stringify({ enabled: false }) });
    const names = [...found.values()].map((entry) => entry.name);
    expect(names).not.toContain("checkpointer-deployment");
    expect(names).not.toContain("jetstream-checkpoints");
    const rule = found.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule::monitoring-prometheus-rule")!;
    expect(JSON.stringify(rule.inputs)).not.toContain("NatsDrCheckpointsStale");
  });
});
