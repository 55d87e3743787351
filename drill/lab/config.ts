// What the lab sets in its stacks. They declare no AWS or Kubernetes resources (no `nats-dr:dns`,
// backups off, no `nats-dr:kubernetes`): the servers are the lab's own. The catalog is the default
// one with the drill's maxBytes on every stream (the catalog's 10-50Gi are reserved up front by
// JetStream), and each server's file store is sized for it as the drill sizes its own.
import { labRegions, type LabRegion } from "./pair";
import { defaultStreams } from "../../infra/catalog/defaults";
import { serverFileBytes } from "../sizing";
import type { LabState } from "./state";

/** maxBytes of every lab stream (the drill's default). */
export const LAB_STREAM_MAX_BYTES = "256Mi";

/** Secrets of the lab's stacks; the user name is plain, as in the shipped stack files. */
export const LAB_SECRET_KEYS = ["natsPassword"] as const;

/** File store of each lab server: room for the whole catalog at the lab's maxBytes. */
export function labServerFileBytes(): number {
  return serverFileBytes(Object.keys(defaultStreams).length, LAB_STREAM_MAX_BYTES);
}

/** The `nats-dr:*` values the lab sets in a region's stack. */
export function labStackValues(region: LabRegion, state: LabState): Record<string, unknown> {
  return {
    region,
    regions: Object.fromEntries(
      labRegions.map((name) => [name, { servers: state.regions[name].servers.map((server) => server.clientUrl) }]),
    ),
    backup: { enabled: false },
    catalog: {
      streams: Object.fromEntries(
        Object.keys(defaultStreams).map((name) => [name, { maxBytes: LAB_STREAM_MAX_BYTES }]),
      ),
    },
    natsUser: state.users.app.user,
    natsPassword: state.users.app.password,
  };
}
