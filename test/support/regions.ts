// Two local regions with an app connection to each: the fixture most provider tests share.
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll } from "vitest";
import { connectApp, startTwoDomains, type TwoDomains, type TwoDomainsOptions } from "../harness";

export interface RegionsWithClients {
  readonly regions: TwoDomains;
  readonly east: NatsConnection;
  readonly west: NatsConnection;
}

export async function openRegions(options: TwoDomainsOptions = { clustered: false }): Promise<RegionsWithClients> {
  const regions = await startTwoDomains(options);
  return { regions, east: await connectApp(regions.east.clientUrls), west: await connectApp(regions.west.clientUrls) };
}

/** Closes what `openRegions` opened; tolerates a fixture that never finished opening. */
export async function closeRegions(fixture: Partial<RegionsWithClients>): Promise<void> {
  await fixture.east?.close();
  await fixture.west?.close();
  await fixture.regions?.stop();
}

/**
 * Two regions with clients for the tests of one file: opened before them, closed after them. The
 * fields are there once the file's first test runs.
 */
export function useRegions(options: TwoDomainsOptions = { clustered: false }): RegionsWithClients {
  const fixture: Partial<RegionsWithClients> = {};
  beforeAll(async () => {
    Object.assign(fixture, await openRegions(options));
  });
  afterAll(() => closeRegions(fixture));
  return fixture as RegionsWithClients;
}
