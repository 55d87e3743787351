import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../infra/config";
const good = parseStackConfig({ region: "us-east-1", activeRegion: "us-east-1", regions: { "us-east-1": { servers: ["nats://a:4222"] } } });
console.log(JSON.stringify("config" in good ? { ...good.config, catalog: good.config.catalog.streams.map(s => [s.spec.name, s.spec.maxAge, s.spec.maxBytes, s.replication]) } : good, null, 1).slice(0, 1500));
const bad = parseStackConfig({ region: "us-west-2", activeRegion: "x", regions: { "us-east-1": { domain: "eu-central-1" }, foo: {} }, connection: { connectTimeout: 1 }, natsPassword: pulumi.secret("p"), natsToken: pulumi.secret("t"), unknownKeys: ["activeregion", "zzz"],
  catalog: { streams: { events: { maxAge: "7x", maxBytes: "10Q", maxage: 1 }, "bad.name": { subjects: ["a.b"] }, extra: { subjects: ["audit.x", "foo.*", "foo.>"] , replication: { homeRegion: "us-west-2" } } },
    consumers: { c1: { stream: "nope" }, c2: { stream: "audit", filterSubjects: ["events.x"] }, c3: { stream: "audit", deliver: "push", deliverSubject: "audit.x" }, "bad.c": { stream: "audit", foo: 1 } } } });
console.log(("problems" in bad ? bad.problems : []).join("\n"));
