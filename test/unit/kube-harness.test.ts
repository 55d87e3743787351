// The pure parts of the local Kubernetes cluster (test/harness/kube): the objects it creates and
// the kubeconfig it writes. test/e2e/kubernetes.test.ts runs the cluster itself.
import { describe, expect, it } from "vitest";
import {
  FAKE_NODE_ANNOTATION,
  fakeNodes,
  loadBalancerHostname,
  renderKubeconfig,
  storageObjects,
} from "../harness/kube";

describe("kube harness", () => {
  it("fake nodes go round the three zones, each annotated for kwok", () => {
    const nodes = fakeNodes(5);
    const zones = nodes.map((node) => (node["metadata"] as { labels: Record<string, string> }).labels);
    expect(zones.map((labels) => labels["topology.kubernetes.io/zone"])).toEqual([
      "zone-a",
      "zone-b",
      "zone-c",
      "zone-a",
      "zone-b",
    ]);
    expect(new Set(zones.map((labels) => labels["kubernetes.io/hostname"])).size).toBe(5);
    for (const node of nodes) {
      expect((node["metadata"] as { annotations: Record<string, string> }).annotations).toEqual({
        [FAKE_NODE_ANNOTATION.key]: FAKE_NODE_ANNOTATION.value,
      });
    }
  });

  it("static volumes carry the StorageClass the claims name, which allows expansion", () => {
    const { storageClass, volumes } = storageObjects({ storageClass: "gp3", volumes: 2, capacity: "1Ti" });
    expect(storageClass).toMatchObject({ metadata: { name: "gp3" }, allowVolumeExpansion: true });
    expect(volumes.map((volume) => volume["spec"])).toEqual([
      expect.objectContaining({ storageClassName: "gp3", capacity: { storage: "1Ti" } }),
      expect.objectContaining({ storageClassName: "gp3", capacity: { storage: "1Ti" } }),
    ]);
  });

  it("the kubeconfig names the server, the token and the server's certificate", () => {
    const config = JSON.parse(renderKubeconfig("https://127.0.0.1:6443", "t0ken", "PEM")) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: { token: string } }[];
      "current-context": string;
    };
    expect(config.clusters[0]?.cluster).toEqual({
      server: "https://127.0.0.1:6443",
      "certificate-authority-data": Buffer.from("PEM").toString("base64"),
    });
    expect(config.users[0]?.user.token).toBe("t0ken");
    expect(config["current-context"]).toBe("local");
    expect(loadBalancerHostname("nats", "nats-lb")).toBe("nats-lb-nats.elb.local");
  });
});
