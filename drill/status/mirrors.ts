// Mirrors that look healthy to the server but copy the wrong thing. A mirror whose origin was
// deleted and re-created reports lag 0 and recent contact while it holds the old origin's messages
// and none of the new one's (issue 15, item 6): only comparing both regions shows it. Pure: the
// reports of both regions in, one finding per broken mirror out.
import { domainApiPrefix, MetadataKeys } from "../../streams/wire";
import type { StreamReport } from "../evidence";

export interface MirrorFinding {
  /** The region holding the mirror. */
  readonly region: string;
  readonly stream: string;
  readonly problem: string;
}

interface RegionStreams {
  readonly region: string;
  readonly domain: string;
  readonly streams: readonly StreamReport[];
  readonly error?: string;
}

function problemOf(mirror: StreamReport, origin: StreamReport | undefined, originRegion: string): string | undefined {
  const source = mirror.mirror!;
  if (origin === undefined) return `its origin ${source.name} does not exist in ${originRegion}`;
  if (origin.role === "mirror")
    return `its origin ${source.name} in ${originRegion} is a mirror too, so no region takes writes for it`;
  const recorded = mirror.metadata[MetadataKeys.originCreated];
  if (recorded !== undefined && recorded !== origin.created)
    return (
      `its origin ${source.name} in ${originRegion} was re-created (created ${origin.created}; the mirror copied ` +
      `the one created ${recorded}), so it holds the old stream's messages and none of the new one's`
    );
  // Both regions answer at slightly different moments, so under traffic a healthy mirror can be
  // ahead of the origin's earlier answer; its newest message is then newer than the origin's.
  // A re-created origin is behind with newer messages, or empty.
  const mirrorTime = Date.parse(mirror.state.lastTime ?? "");
  const originTime = Date.parse(origin.state.lastTime ?? "");
  const originNewer = !(mirrorTime >= originTime);
  if (mirror.state.lastSeq > origin.state.lastSeq && originNewer)
    return (
      `it holds sequences up to ${mirror.state.lastSeq}, beyond its origin's last ${origin.state.lastSeq} in ` +
      `${originRegion}: the histories diverged`
    );
  return undefined;
}

/**
 * Every mirror whose origin region answered and whose origin is missing, not a primary, re-created
 * since the mirror was, or behind the mirror. A region that did not answer tells nothing.
 */
export function mirrorFindings(regions: readonly RegionStreams[]): MirrorFinding[] {
  const findings: MirrorFinding[] = [];
  for (const region of regions) {
    for (const stream of region.streams) {
      if (stream.mirror === null) continue;
      const originRegion = regions.find((other) => domainApiPrefix(other.domain) === stream.mirror!.api);
      if (originRegion === undefined || originRegion.error !== undefined) continue;
      const origin = originRegion.streams.find((candidate) => candidate.name === stream.mirror!.name);
      const problem = problemOf(stream, origin, originRegion.region);
      if (problem !== undefined) findings.push({ region: region.region, stream: stream.name, problem });
    }
  }
  return findings;
}
