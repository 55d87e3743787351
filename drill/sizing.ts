// How big the local servers' file stores are: shared by the drill and the lab.
import { parseSize } from "../streams/units";

/** File store per server: every stream (R3 on 3 servers: one replica each) at its limit, plus room for orphan copies. */
export function serverFileBytes(streamCount: number, streamMaxBytes: string): number {
  const parsed = parseSize(streamMaxBytes);
  if ("error" in parsed) throw new Error(`--stream-max-bytes: ${parsed.error}`);
  if (parsed.bytes <= 0)
    throw new Error('--stream-max-bytes must be a limited size such as "256Mi"; JetStream reserves it up front.');
  return Math.ceil(streamCount * parsed.bytes * 1.5) + 1024 ** 3;
}
