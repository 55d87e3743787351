import { describe, expect, test } from "vitest";
import {
  decideFlip,
  liveDeviation,
  mayFaceReturnedPeer,
  type FlipAction,
  type FlipSituation,
  type LocalStream,
  type PeerStream,
} from "../../streams/flips";
import { streamProvider, type StreamState } from "../../streams/streamProvider";
import { connectionSchema, failoverSchema, streamSpecSchema } from "../../streams/schemas";
import type { StreamRole } from "../../streams/spec";

const EAST = "us-east-1";
const WEST = "eu-central-1";

const local = {
  absent: { kind: "absent" },
  mirror: { kind: "mirror" },
  writable: { kind: "primary", lastSeq: 40 },
  fencedByPeer: { kind: "primary", fencedBy: WEST, fencedAt: "2026-12-02T14:00:00.000Z", lastSeq: 40 },
  // Took over from the peer (an unplanned failover while the peer's region was down).
  promotedFromPeer: { kind: "primary", lastSeq: 60, promotedFrom: WEST, promotedAt: "2026-12-02T15:00:00.000Z" },
} satisfies Record<string, LocalStream>;

const peer = {
  silent: { kind: "silent", reason: `peer domain "${WEST}" did not answer within 3000 ms (no responders: ...)` },
  absent: { kind: "absent" },
  mirror: { kind: "mirror" },
  promotedFromHere: { kind: "primary", promotedFrom: EAST, promotedAtSeq: 40, lastSeq: 55 },
  fencedByHere: { kind: "primary", fencedBy: EAST, lastSeq: 40 },
  fencedPromotedFromHere: { kind: "primary", fencedBy: EAST, promotedFrom: EAST, promotedAtSeq: 40, lastSeq: 55 },
  neverPromoted: { kind: "primary", lastSeq: 12 },
  promotedWithoutSequence: { kind: "primary", promotedFrom: EAST, lastSeq: 12 },
  // The peer took over from here before this stream took it back, or after it.
  promotedFromHereEarlier: {
    kind: "primary",
    promotedFrom: EAST,
    promotedAtSeq: 20,
    promotedAt: "2026-12-02T14:00:00.000Z",
    lastSeq: 45,
  },
  promotedFromHereLater: {
    kind: "primary",
    promotedFrom: EAST,
    promotedAtSeq: 60,
    promotedAt: "2026-12-02T16:00:00.000Z",
    lastSeq: 70,
  },
} satisfies Record<string, PeerStream>;

function situation(declared: StreamRole, here: LocalStream, there: PeerStream): FlipSituation {
  return { stream: "orders", domain: EAST, peerDomain: WEST, declared, local: here, peer: there };
}

// Every combination of (this stream's live state, the peer's live state, declared role): what the
// provider does and what its message must name.
const table: ReadonlyArray<{
  declared: StreamRole;
  here: keyof typeof local;
  there: keyof typeof peer;
  action: FlipAction;
  says?: RegExp;
}> = [
  // Declared primary over a primary the peer fenced: re-open as the peer's state demands.
  { declared: "primary", here: "fencedByPeer", there: "mirror", action: "unfence", says: /never finished/ },
  { declared: "primary", here: "fencedByPeer", there: "absent", action: "unfence", says: /has no stream orders/ },
  {
    declared: "primary",
    here: "fencedByPeer",
    there: "silent",
    action: "take-over-unplanned",
    says: /did not answer within 3000 ms \(no responders.*taken over unplanned/,
  },
  {
    declared: "primary",
    here: "fencedByPeer",
    there: "promotedFromHere",
    action: "resync-then-promote",
    says: /took writes since it fenced this stream, so this stream becomes its mirror/,
  },
  {
    declared: "primary",
    here: "fencedByPeer",
    there: "fencedByHere",
    action: "refuse",
    says: /neither copy takes writes.*natsdr\.fenced-subjects.*`pulumi up` in the us-east-1 stack with activeRegion "us-east-1"/,
  },
  {
    declared: "primary",
    here: "fencedByPeer",
    there: "neverPromoted",
    action: "refuse",
    says: /was not promoted from this one.*nats stream backup/,
  },
  { declared: "primary", here: "fencedByPeer", there: "promotedWithoutSequence", action: "refuse" },
  // Declared mirror over a primary (writable or fenced): only a writable primary promoted from here.
  { declared: "mirror", here: "writable", there: "promotedFromHere", action: "proceed" },
  { declared: "mirror", here: "fencedByPeer", there: "promotedFromHere", action: "proceed" },
  {
    declared: "mirror",
    here: "writable",
    there: "silent",
    action: "refuse",
    says: /did not answer within 3000 ms \(no responders.*once "eu-central-1" answers across the leafnode/,
  },
  {
    declared: "mirror",
    here: "writable",
    there: "absent",
    action: "refuse",
    says: /holds the only copy.*activeRegion to "us-east-1" and run `pulumi up` in the eu-central-1 stack/,
  },
  {
    declared: "mirror",
    here: "writable",
    there: "mirror",
    action: "refuse",
    says: /has not been promoted yet\. Run `pulumi up` in the eu-central-1 stack with activeRegion "eu-central-1" first/,
  },
  {
    declared: "mirror",
    here: "writable",
    there: "fencedByHere",
    action: "refuse",
    says: /old primary this region fenced.*Run `pulumi up` in the eu-central-1 stack with activeRegion "eu-central-1": it makes its copy a mirror of this one.*Then run `pulumi up` in the us-east-1 stack with activeRegion "eu-central-1" again/,
  },
  { declared: "mirror", here: "writable", there: "fencedPromotedFromHere", action: "refuse", says: /old primary/ },
  {
    declared: "mirror",
    here: "writable",
    there: "neverPromoted",
    action: "refuse",
    says: /not promoted from this one/,
  },
  { declared: "mirror", here: "writable", there: "promotedWithoutSequence", action: "refuse" },
  // Declared primary, promoted from the peer, and the peer's old primary is back writable: fence it.
  {
    declared: "primary",
    here: "promotedFromPeer",
    there: "neverPromoted",
    action: "fence-returned-peer",
    says: /^peer returned as primary: will fence\. stream orders in "eu-central-1" is a primary, writable.*natsdr\.fenced\.eu-central-1\.orders.*deletes nothing.*`pulumi up` in the eu-central-1 stack then makes it a mirror, keeping what it stored as orphans/,
  },
  { declared: "primary", here: "promotedFromPeer", there: "promotedFromHereEarlier", action: "fence-returned-peer" },
  // The peer took over from this stream after its promotion: the stacks disagree; leave it to them.
  { declared: "primary", here: "promotedFromPeer", there: "promotedFromHereLater", action: "proceed" },
  { declared: "primary", here: "promotedFromPeer", there: "promotedWithoutSequence", action: "proceed" },
  // Already fenced, a mirror, gone or silent: nothing to do.
  { declared: "primary", here: "promotedFromPeer", there: "fencedByHere", action: "proceed" },
  { declared: "primary", here: "promotedFromPeer", there: "mirror", action: "proceed" },
  { declared: "primary", here: "promotedFromPeer", there: "absent", action: "proceed" },
  { declared: "primary", here: "promotedFromPeer", there: "silent", action: "proceed" },
  // Never promoted from the peer: a writable peer is not this stream's old primary.
  { declared: "primary", here: "writable", there: "neverPromoted", action: "proceed" },
  // The ordinary cases need no peer: create, promote, update in place.
  { declared: "primary", here: "absent", there: "silent", action: "proceed" },
  { declared: "primary", here: "mirror", there: "promotedFromHere", action: "proceed" },
  { declared: "primary", here: "writable", there: "silent", action: "proceed" },
  { declared: "mirror", here: "mirror", there: "silent", action: "proceed" },
  { declared: "mirror", here: "absent", there: "neverPromoted", action: "proceed" },
];

describe("flips", () => {
  test.each(table)(
    "declared $declared, this stream $here, the peer $there: $action",
    ({ declared, here, there, action, says }) => {
      const decision = decideFlip(situation(declared, local[here], peer[there]));
      expect(decision.action).toBe(action);
      if (says) expect(decision.message).toMatch(says);
    },
  );

  test("every refusal names both states, says nothing changed, and gives one way out", () => {
    const refusals = table.filter((row) => row.action === "refuse");
    expect(refusals.length).toBeGreaterThan(5);
    for (const row of refusals) {
      const { message } = decideFlip(situation(row.declared, local[row.here], peer[row.there]));
      expect(message).toMatch(/^stream orders in "us-east-1" is /);
      expect(message).toMatch(/; (stream orders in "eu-central-1"|peer domain "eu-central-1")/);
      expect(message).toContain(`This stack declares it ${row.declared}. Nothing was changed. Way out: `);
      expect(message.split("Way out: ")).toHaveLength(2);
    }
  });

  test("no refusal sends the user to the stack that refused with the activeRegion it already has", () => {
    // The issue: each stack told the user to run itself "with activeRegion <the one it had> first".
    for (const row of table.filter((entry) => entry.action === "refuse")) {
      const { message } = decideFlip(situation(row.declared, local[row.here], peer[row.there]));
      const current = row.declared === "primary" ? EAST : WEST;
      expect(message).not.toContain(`in the us-east-1 stack with activeRegion "${current}" first`);
    }
  });

  test("only an unfenced primary declared primary and promoted from the peer asks the peer", () => {
    expect(mayFaceReturnedPeer("primary", local.promotedFromPeer, WEST)).toBe(true);
    expect(mayFaceReturnedPeer("mirror", local.promotedFromPeer, WEST)).toBe(false);
    expect(mayFaceReturnedPeer("primary", local.promotedFromPeer, "ap-south-1")).toBe(false);
    for (const here of ["absent", "mirror", "writable", "fencedByPeer"] as const)
      expect(mayFaceReturnedPeer("primary", local[here], WEST)).toBe(false);
  });

  test.each([
    { recorded: "primary", here: "writable", live: undefined },
    { recorded: "primary", here: "fencedByPeer", live: { role: "primary", fencedBy: WEST } },
    { recorded: "primary", here: "mirror", live: { role: "mirror" } },
    { recorded: "primary", here: "absent", live: { role: "absent" } },
    { recorded: "mirror", here: "mirror", live: undefined },
    { recorded: "mirror", here: "writable", live: { role: "primary" } },
    { recorded: "mirror", here: "absent", live: { role: "absent" } },
  ] as const)("live input of a $recorded in the state whose server holds $here", ({ recorded, here, live }) => {
    const deviation = liveDeviation(recorded, local[here]);
    if (live === undefined) expect(deviation).toBeUndefined();
    else expect(deviation).toMatchObject(live);
  });
});

describe("stream provider diff with a live input", () => {
  const state = (role: StreamRole, extra: Partial<StreamState> = {}): StreamState => ({
    connection: connectionSchema().parse({ servers: ["nats://127.0.0.1:4222"] }),
    domain: EAST,
    peerDomain: WEST,
    spec: streamSpecSchema().parse({ name: "orders", subjects: ["orders.*"] }),
    role,
    failover: failoverSchema().parse({}),
    allowDeleteWithMessages: false,
    instance: "i-1",
    ...extra,
  });

  test.each([
    {
      name: "no live input, same role",
      olds: "primary",
      news: "primary",
      live: undefined,
      changes: false,
      replaces: [],
    },
    {
      name: "fenced by the peer, still declared primary: an update (it re-opens the stream)",
      olds: "primary",
      news: "primary",
      live: { role: "primary", fencedBy: WEST },
      changes: true,
      replaces: [],
    },
    {
      name: "a mirror on the server the state calls primary, declared primary: an update (the promotion)",
      olds: "primary",
      news: "primary",
      live: { role: "mirror" },
      changes: true,
      replaces: [],
    },
    {
      name: "a mirror on the server the state calls primary, declared mirror: an update, not a replace",
      olds: "primary",
      news: "mirror",
      live: { role: "mirror" },
      changes: true,
      replaces: [],
    },
    {
      name: "a primary on the server the state calls mirror, declared mirror: a replace (the demotion)",
      olds: "mirror",
      news: "mirror",
      live: { role: "primary" },
      changes: true,
      replaces: ["role"],
    },
    {
      name: "the peer's old primary came back writable: an update (it fences the peer)",
      olds: "primary",
      news: "primary",
      live: { role: "primary", returnedPeer: { domain: WEST, lastSequence: 70 } },
      changes: true,
      replaces: [],
    },
    {
      name: "gone from the server: a replace that creates it",
      olds: "primary",
      news: "primary",
      live: { role: "absent" },
      changes: true,
      replaces: ["live"],
    },
  ] as const)("stream provider diff - $name", async ({ olds, news, live, changes, replaces }) => {
    const result = await streamProvider.diff("id", state(olds), state(news, live ? { live } : {}));
    expect(result.changes).toBe(changes);
    expect(result.replaces).toEqual(replaces);
  });
});
