// The refusal of a volume template change (infra/kubernetes/volumeGuard.ts), as a pure function;
// test/e2e/kubernetes.test.ts shows it stopping a real preview and the procedure it points to.
import { describe, expect, it } from "vitest";
import { volumeTemplateRefusal, type VolumeTemplate } from "../../infra/kubernetes/volumeGuard";

const applied: VolumeTemplate = {
  statefulSet: "nats/nats",
  storageClass: "gp3",
  storageSize: "100Gi",
  allowChange: false,
};

describe("volume template guard", () => {
  it("the first update and an unchanged template pass", () => {
    expect(volumeTemplateRefusal({}, applied)).toBeUndefined();
    expect(volumeTemplateRefusal(applied, applied)).toBeUndefined();
    expect(volumeTemplateRefusal({ ...applied, allowChange: true }, applied)).toBeUndefined();
  });

  it("a size or class change is refused, naming each key, its values and the procedure", () => {
    const size = volumeTemplateRefusal(applied, { ...applied, storageSize: "200Gi" });
    expect(size).toContain("nats-dr:kubernetes.storageSize from 100Gi to 200Gi");
    expect(size).toContain("StatefulSet nats/nats");
    expect(size).toContain('"Changing the volumes" in docs/configuration.md');
    expect(size).toContain("nats-dr:kubernetes.allowVolumeTemplateChange");
    expect(size).not.toContain("storageClass");
    const both = volumeTemplateRefusal(applied, { ...applied, storageSize: "200Gi", storageClass: "io2" });
    expect(both).toContain(
      "nats-dr:kubernetes.storageSize from 100Gi to 200Gi and nats-dr:kubernetes.storageClass from gp3 to io2",
    );
  });

  it("allowVolumeTemplateChange lets the change through", () => {
    expect(volumeTemplateRefusal(applied, { ...applied, storageSize: "200Gi", allowChange: true })).toBeUndefined();
  });
});
