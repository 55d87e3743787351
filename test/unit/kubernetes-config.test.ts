// nats-dr:kubernetes, nats-dr:leafnode, nats-dr:tls and the server passwords: defaults, bad values
// named by key, and activeRegion playing no part in what is rendered.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { defaultImages, defaultLoadBalancerAnnotations } from "../../infra/config";
import { kubernetesTopology, natsDeployment } from "../../infra/kubernetes";
import { renderNatsConf } from "../../infra/nats";
import { kubernetesConfig, kubernetesRaw } from "./kubernetes-support";
import { parsed, problemsOf, promiseOf, rawConfig } from "./support";
import { load } from "js-yaml";

describe("kubernetes config", () => {
  it("without nats-dr:kubernetes the stack runs no servers and needs no passwords", () => {
    expect(parsed(rawConfig("us-east-1")).kubernetes).toBeUndefined();
  });

  it("{} takes every documented default", async () => {
    const config = kubernetesConfig("us-east-1", {
      kubernetes: { peerCidrs: ["10.20.0.0/16"] },
      systemPassword: undefined,
    });
    const { appPassword, leafnodePassword, ...settings } = config.kubernetes!;
    expect(settings).toEqual({
      namespace: "nats",
      storageClass: "gp3",
      storageSize: "100Gi",
      allowVolumeTemplateChange: false,
      replicas: 3,
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "2Gi" } },
      jetstream: { maxMemoryBytes: 512 * 1024 ** 2, maxFileBytes: Math.floor(100 * 1024 ** 3 * 0.9) },
      lameDuck: { durationSeconds: 30, gracePeriodSeconds: 10 },
      images: { ...defaultImages },
      allowedClientNamespaces: [],
      allowedClientCidrs: [],
      monitoringNamespace: "monitoring",
      peerCidrs: ["10.20.0.0/16"],
      loadBalancerAnnotations: { ...defaultLoadBalancerAnnotations },
      leafnode: {
        listenRegion: "us-east-1",
        port: 7422,
        listenerHosts: ["nats-leaf.us-east-1.example.com"],
        reconnectSeconds: 1,
      },
      // nats-dr:tls with only secretName: TLS everywhere, client certificates not required.
      tls: { secretName: "nats-tls", client: true, cluster: true, leafnode: true, verifyClients: false },
    });
    expect(defaultImages).toEqual({
      nats: "nats:2.14.9-alpine",
      reloader: "natsio/nats-server-config-reloader:0.23.0",
      exporter: "natsio/prometheus-nats-exporter:0.20.1",
    });
    expect(await pulumi.isSecret(appPassword)).toBe(true);
    expect(await pulumi.isSecret(leafnodePassword)).toBe(true);
    expect(await promiseOf(leafnodePassword)).toBe("leaf:p@ss/w#rd");
  });

  it("takes explicit values, TLS and the kubeconfig as a secret", async () => {
    const config = kubernetesConfig("eu-central-1", {
      kubernetes: {
        context: "eks-eu",
        namespace: "messaging",
        storageClass: "io2",
        storageSize: "500Gi",
        replicas: 5,
        jetstream: { maxMemory: "1Gi", maxFile: "400Gi" },
        lameDuck: { duration: "1m", gracePeriod: "15s" },
        images: { nats: "registry.example.com:5000/nats@sha256:" + "a".repeat(64) },
      },
      leafnode: { listenRegion: "us-east-1", port: 7433, listenerHosts: ["leaf.example.com:443"], reconnect: "5s" },
      tls: { secretName: "nats-tls" },
      kubeconfig: pulumi.output("/home/ops/.kube/eu"),
    });
    const kubernetes = config.kubernetes!;
    expect(kubernetes).toMatchObject({
      context: "eks-eu",
      namespace: "messaging",
      storageClass: "io2",
      storageSize: "500Gi",
      replicas: 5,
      jetstream: { maxMemoryBytes: 1024 ** 3, maxFileBytes: 400 * 1024 ** 3 },
      lameDuck: { durationSeconds: 60, gracePeriodSeconds: 15 },
      leafnode: { listenRegion: "us-east-1", port: 7433, listenerHosts: ["leaf.example.com:443"], reconnectSeconds: 5 },
      tls: { secretName: "nats-tls", client: true, cluster: true, leafnode: true, verifyClients: false },
    });
    expect(kubernetes.images.reloader).toBe(defaultImages.reloader);
    expect(await pulumi.isSecret(kubernetes.kubeconfig!)).toBe(true);
  });

  it("bad values stop with the key path and the fix", () => {
    const problems = problemsOf(
      kubernetesRaw("us-east-1", {
        kubernetes: {
          peerCidrs: ["10.20.0.0/33"],
          storageSize: "100 gigs",
          replicas: 4,
          lameDuck: { duration: "10s" },
          images: { nats: "nats:latest", exporter: "natsio/prometheus-nats-exporter" },
          namespace: "NATS",
          resources: { requests: { cpu: "lots" } },
          storageClas: "gp3",
        },
        leafnode: { listenRegion: "eu-west-1" },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^nats-dr:kubernetes\.storageSize: "100 gigs" is not a Kubernetes quantity of bytes; write a number with a unit such as "100Gi"/,
        ),
        expect.stringMatching(/^nats-dr:kubernetes\.replicas: must be odd \(3 or 5\)/),
        expect.stringMatching(/^nats-dr:kubernetes\.lameDuck\.duration: "10s" must be whole seconds, at least 30s/),
        expect.stringMatching(/^nats-dr:kubernetes\.images\.nats: "nats:latest" is not pinned; give a version tag/),
        expect.stringMatching(
          /^nats-dr:kubernetes\.images\.exporter: "natsio\/prometheus-nats-exporter" is not pinned/,
        ),
        expect.stringMatching(/^nats-dr:kubernetes\.peerCidrs\.0: is not a CIDR range/),
        expect.stringMatching(/^nats-dr:kubernetes\.namespace: must be a Kubernetes name/),
        expect.stringMatching(/^nats-dr:kubernetes\.resources\.requests\.cpu: "lots" is not a CPU quantity/),
        expect.stringMatching(/^nats-dr:kubernetes: unknown field "storageClas"/),
        'nats-dr:leafnode.listenRegion: "eu-west-1" is not one of the project regions (nats-dr:regionPair in Pulumi.yaml: us-east-1, eu-central-1); set it to "us-east-1" or "eu-central-1"',
      ]),
    );
    expect(problems).toHaveLength(10);
  });

  it("the passwords are required once nats-dr:kubernetes is set", () => {
    expect(problemsOf(kubernetesRaw("us-east-1", { appPassword: undefined, leafnodePassword: undefined }))).toEqual([
      expect.stringMatching(
        /^nats-dr:appPassword: is not set but nats-dr:kubernetes is; .* run pulumi config set --secret nats-dr:appPassword <password>$/,
      ),
      expect.stringMatching(
        /^nats-dr:leafnodePassword: is not set but nats-dr:kubernetes is; .*set the same value in both stacks/,
      ),
    ]);
  });

  it("the leafnode and the routes need TLS unless a lab opts out by name", () => {
    const labFix = "or, for a lab only, set nats-dr:insecureLabWithoutLinkTls: true";
    expect(problemsOf(kubernetesRaw("eu-central-1", { tls: undefined }))).toEqual([
      `nats-dr:tls: is not set but nats-dr:kubernetes is; the leafnode carries every replicated message and its password between the regions in the clear, and the routes the region's replication: set nats-dr:tls.secretName to a Secret in the namespace with tls.crt, tls.key and ca.crt (cert-manager's layout; the certificate needs the usages "server auth" and "client auth", see docs/configuration.md), ${labFix}`,
    ]);
    expect(
      problemsOf(kubernetesRaw("us-east-1", { tls: { secretName: "nats-tls", leafnode: false, cluster: false } })),
    ).toEqual([
      `nats-dr:tls.leafnode: is false; the leafnode would run without TLS, carrying every replicated message and the leafnode password between the regions in the clear: remove the setting (TLS is the default) ${labFix}`,
      `nats-dr:tls.cluster: is false; the routes would run without TLS and without certificate authentication: remove the setting (TLS is the default) ${labFix}`,
    ]);
    // One server has no routes: only the leafnode matters.
    expect(
      kubernetesConfig("us-east-1", {
        kubernetes: { replicas: 1, peerCidrs: ["10.20.0.0/16"] },
        catalog: { mode: "replace", streams: { orders: { subjects: ["orders.*"], replicas: 1 } } },
        tls: { secretName: "nats-tls", cluster: false },
      }).kubernetes?.tls?.cluster,
    ).toBe(false);
    // The opt-out: accepted with plaintext links, refused where it would change nothing.
    expect(
      kubernetesConfig("us-east-1", { tls: undefined, insecureLabWithoutLinkTls: true }).kubernetes?.tls,
    ).toBeUndefined();
    expect(problemsOf(kubernetesRaw("us-east-1", { insecureLabWithoutLinkTls: true }))).toEqual([
      "nats-dr:insecureLabWithoutLinkTls: is true but nats-dr:tls already covers the leafnode and the routes; remove it (pulumi config rm nats-dr:insecureLabWithoutLinkTls)",
    ]);
    expect(problemsOf(rawConfig("us-east-1", { insecureLabWithoutLinkTls: true }))).toEqual([
      "nats-dr:insecureLabWithoutLinkTls: is true but nats-dr:kubernetes is not set, so this stack runs no servers and renders no leafnode or routes; remove it (pulumi config rm nats-dr:insecureLabWithoutLinkTls)",
    ]);
    expect(problemsOf(kubernetesRaw("us-east-1", { tls: undefined, insecureLabWithoutLinkTls: "yes" }))[0]).toBe(
      "nats-dr:insecureLabWithoutLinkTls: must be true or false",
    );
  });

  it("the provider signs in as app with appPassword; other credential keys are refused", async () => {
    const config = kubernetesConfig("us-east-1");
    expect(config.credentialsMethod).toBe("userPassword");
    expect(await pulumi.isSecret(config.credentials!)).toBe(true);
    expect(await promiseOf(config.credentials!)).toEqual({ user: "app", password: 'app "pa55" word' });
    expect(
      problemsOf(kubernetesRaw("us-east-1", { natsUser: pulumi.secret("app"), natsToken: pulumi.secret("t") })),
    ).toEqual(
      ["natsUser", "natsToken"].map(
        (key) =>
          `nats-dr:${key}: is set but nats-dr:kubernetes is; the provider signs in to the stack's own servers as user "app" with nats-dr:appPassword, so that one key rotates both (docs/configuration.md, "Rotating passwords"): remove it with pulumi config rm nats-dr:${key}`,
      ),
    );
  });

  it("the dialing region needs listenerHosts, the listening region needs peerCidrs", () => {
    expect(problemsOf(kubernetesRaw("eu-central-1", { leafnode: {} }))).toEqual([
      expect.stringMatching(
        /^nats-dr:leafnode\.listenerStack: is not set and nats-dr:leafnode\.listenerHosts is empty; eu-central-1 dials the leafnode of us-east-1/,
      ),
    ]);
    expect(problemsOf(kubernetesRaw("us-east-1", { kubernetes: {} }))).toEqual([
      expect.stringMatching(/^nats-dr:kubernetes\.peerCidrs: is empty; us-east-1 accepts the leafnode/),
    ]);
    // listenRegion moves the requirement, never activeRegion.
    expect(
      problemsOf(
        kubernetesRaw("eu-central-1", {
          kubernetes: { storageSize: "150Gi" },
          leafnode: { listenRegion: "eu-central-1" },
        }),
      ),
    ).toEqual([expect.stringMatching(/^nats-dr:kubernetes\.peerCidrs: is empty; eu-central-1 accepts the leafnode/)]);
  });

  it("maxFile larger than the volume is refused", () => {
    expect(
      problemsOf(
        kubernetesRaw("us-east-1", {
          kubernetes: { peerCidrs: ["10.20.0.0/16"], storageSize: "100Gi", jetstream: { maxFile: "120Gi" } },
        }),
      ),
    ).toEqual([
      "nats-dr:kubernetes.jetstream.maxFile: is larger than nats-dr:kubernetes.storageSize; JetStream would fill the volume, so lower it or raise storageSize",
    ]);
  });

  it("a JetStream memory limit at or above the container's memory limit is refused", () => {
    expect(
      problemsOf(
        kubernetesRaw("us-east-1", { kubernetes: { peerCidrs: ["10.20.0.0/16"], jetstream: { maxMemory: "2Gi" } } }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^nats-dr:kubernetes\.jetstream\.maxMemory: is not below nats-dr:kubernetes\.resources\.limits\.memory;/,
      ),
    ]);
  });

  it("activeRegion changes nothing that is rendered or deployed", () => {
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      const [before, after] = (["us-east-1", "eu-central-1"] as const).map((activeRegion) => {
        const config = kubernetesConfig(region, { activeRegion });
        const deployment = natsDeployment(config, config.kubernetes!);
        return { deployment, text: renderNatsConf(kubernetesTopology(deployment)) };
      });
      expect(after!.deployment).toEqual(before!.deployment);
      expect(after!.text).toBe(before!.text);
    }
  });

  it("the example in docs/configuration.md is a valid config in both regions", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "configuration.md"), "utf8");
    const example = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .find((text) => text.includes("nats-dr:kubernetes"));
    const values = load(example!) as Record<string, unknown>;
    for (const region of ["us-east-1", "eu-central-1"] as const) {
      const config = kubernetesConfig(region, {
        kubernetes: values["nats-dr:kubernetes"],
        leafnode: values["nats-dr:leafnode"],
      });
      expect(config.kubernetes?.peerCidrs).toEqual(["10.20.0.0/16"]);
    }
  });
});
