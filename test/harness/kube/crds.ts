// CustomResourceDefinitions a real cluster has before the stack runs, installed into the harness
// API server from vendored YAML (crds/SOURCE.md says where each file comes from and its version),
// so custom resources the stacks declare are validated against their real schemas.
import fs from "node:fs";
import path from "node:path";
import { load } from "js-yaml";
import { waitFor } from "../wait";
import type { Json, KubeApi } from "./api";

const CRD_DIR = path.join(__dirname, "crds");

/** The Prometheus Operator's PodMonitor and PrometheusRule (v0.93.0), as kube-prometheus-stack installs them. */
export const PROMETHEUS_OPERATOR_CRDS = [
  path.join(CRD_DIR, "monitoring.coreos.com_podmonitors.yaml"),
  path.join(CRD_DIR, "monitoring.coreos.com_prometheusrules.yaml"),
] as const;

/** The CustomResourceDefinition in a YAML file (one document). */
export function readCrd(file: string): Json {
  const crd = load(fs.readFileSync(file, "utf8")) as Json | undefined;
  if (crd?.["kind"] !== "CustomResourceDefinition") {
    throw new Error(`${file} holds no CustomResourceDefinition; copy it again as crds/SOURCE.md describes`);
  }
  return crd;
}

/** Creates each CRD and waits until the API server serves it (condition Established). */
export async function installCrds(api: KubeApi, files: readonly string[]): Promise<void> {
  const collection = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  const names: string[] = [];
  for (const file of files) {
    const created = await api.create(collection, readCrd(file));
    names.push((created["metadata"] as { name: string }).name);
  }
  for (const name of names) {
    await waitFor(`CustomResourceDefinition ${name} established`, async () => {
      const crd = await api.get(`${collection}/${name}`);
      const conditions = (crd?.["status"] as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
      return conditions.some((condition) => condition.type === "Established" && condition.status === "True");
    });
  }
}
