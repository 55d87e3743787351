// Stops a change of the JetStream volumes' template before it reaches Kubernetes. The API server
// forbids changing a StatefulSet's volumeClaimTemplates, so the Kubernetes provider plans a change
// of `storageSize` or `storageClass` as a replacement of the StatefulSet: delete it (every server
// of the region stops at once) and create it again, while the existing volumes keep their size and
// class. That is never what a size bump in review looks like, so the stack refuses it in `check`,
// during the preview and before any object changes, unless the operator opts in for the one
// update that follows the safe procedure (docs/configuration.md, "Changing the volumes").
import type * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource, type ProviderReference } from "../../streams/providerModule";

const VOLUME_GUARD_PROVIDER: ProviderReference = {
  file: "infra/kubernetes/volumeGuard.ts",
  exportName: "volumeGuardProvider",
};

export interface VolumeTemplate {
  /** "<namespace>/<statefulSet>", for the message. */
  readonly statefulSet: string;
  readonly storageClass: string;
  readonly storageSize: string;
  /** `nats-dr:kubernetes.allowVolumeTemplateChange`. */
  readonly allowChange: boolean;
}

/**
 * Why the change from `olds` to `news` is refused, or undefined when it is not (the first update,
 * no change of the template, or the opt-in). Pure, with no imports: the provider captures it.
 */
export function volumeTemplateRefusal(olds: Partial<VolumeTemplate>, news: VolumeTemplate): string | undefined {
  if (news.allowChange || olds.storageSize === undefined || olds.storageClass === undefined) return undefined;
  const changes: string[] = [];
  if (olds.storageSize !== news.storageSize) {
    changes.push(`nats-dr:kubernetes.storageSize from ${olds.storageSize} to ${news.storageSize}`);
  }
  if (olds.storageClass !== news.storageClass) {
    changes.push(`nats-dr:kubernetes.storageClass from ${olds.storageClass} to ${news.storageClass}`);
  }
  if (changes.length === 0) return undefined;
  return (
    `this update changes ${changes.join(" and ")}. Kubernetes cannot change the volume claim template of ` +
    `StatefulSet ${news.statefulSet} in place, so the update would delete the StatefulSet, stopping every ` +
    `server of the region at once, and create it again, and the existing volumes would keep their size and ` +
    `class. Follow "Changing the volumes" in docs/configuration.md (grow each volume, hand the running pods ` +
    `over with kubectl delete statefulset --cascade=orphan, pulumi refresh), then set ` +
    `nats-dr:kubernetes.allowVolumeTemplateChange to true for that one pulumi up; or revert the change.`
  );
}

// Run by the engine's dynamic provider host, which loads it from this file (streams/providerModule.ts).
export const volumeGuardProvider = {
  async check(olds: Partial<VolumeTemplate>, news: VolumeTemplate) {
    const reason = volumeTemplateRefusal(olds, news);
    return reason === undefined ? { inputs: news } : { inputs: news, failures: [{ property: "storageSize", reason }] };
  },
  async diff(_id: string, olds: VolumeTemplate, news: VolumeTemplate) {
    const changed = (Object.keys(news) as (keyof VolumeTemplate)[]).filter((key) => olds[key] !== news[key]);
    return { changes: changed.length > 0 };
  },
  async create(inputs: VolumeTemplate) {
    return { id: inputs.statefulSet, outs: inputs };
  },
  async update(_id: string, _olds: VolumeTemplate, news: VolumeTemplate) {
    return { outs: news };
  },
  async read(id: string, props: VolumeTemplate) {
    return { id, props };
  },
} satisfies pulumi.dynamic.ResourceProvider;

/** Holds the volume template of the last update; refuses a change of it (see the file comment). */
export class VolumeTemplateGuard extends ReferencedDynamicResource {
  constructor(name: string, template: VolumeTemplate, opts?: pulumi.CustomResourceOptions) {
    super(VOLUME_GUARD_PROVIDER, "natsdr", "VolumeTemplateGuard", name, { ...template }, opts);
  }
}
