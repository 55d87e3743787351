// One `pulumi up` of one stream resource as the engine runs it, for the provider integration tests
// that chain stack runs: check with the recorded inputs, diff against the state, then create,
// update, or create-then-delete (a replace).
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { rawStreamInputs, type RegionEndpoint } from "./provider";

/** A resource as the engine keeps it: the checked inputs and the provider's outputs. */
export interface Tracked {
  readonly inputs: Record<string, unknown>;
  readonly outs: StreamState;
}

export type UpOperation = "create" | "same" | "update" | "replace";

/** Runs the stream resource of `here` (peer `peer`) with `role`; returns the operation too. */
export async function upStream(
  here: RegionEndpoint,
  peer: RegionEndpoint,
  role: "primary" | "mirror",
  spec: Record<string, unknown>,
  state?: Tracked,
  extra: Record<string, unknown> = {},
): Promise<Tracked & { op: UpOperation }> {
  const result: { inputs: unknown; failures?: unknown[] } = await streamProvider.check(
    state?.inputs ?? {},
    rawStreamInputs(here, peer, role, spec, extra),
  );
  if (result.failures) throw new Error(JSON.stringify(result.failures));
  const news = result.inputs as StreamState;
  if (!state) return { op: "create", inputs: news as never, outs: (await streamProvider.create(news)).outs };
  const diff = await streamProvider.diff("id", state.outs, news);
  if (!diff.changes) return { ...state, op: "same" };
  if (diff.replaces.length > 0) {
    const created = await streamProvider.create(news);
    await streamProvider.delete("id", state.outs);
    return { op: "replace", inputs: news as never, outs: created.outs };
  }
  return { op: "update", inputs: news as never, outs: (await streamProvider.update("id", state.outs, news)).outs };
}
