// The lab's pure parts: its arguments, its fixed ports, the config paths it sets and the command
// lines it prints.
import { describe, expect, it } from "vitest";
import { parseLabArgs } from "../../drill/lab/args";
import { DEFAULT_BASE_PORT, labPorts, portRange, portUses } from "../../drill/lab/ports";
import { pathConfigMap } from "../../drill/pulumi/configPaths";
import { shellWord } from "../../drill/shell";
import { statusCommandLine } from "../../drill/status/command";

describe("lab arguments", () => {
  it("up is the default, with the default base port", () => {
    expect(parseLabArgs([])).toEqual({ command: "up", basePort: DEFAULT_BASE_PORT, baseGiven: false });
    expect(parseLabArgs(["down"])).toEqual({ command: "down", basePort: DEFAULT_BASE_PORT, baseGiven: false });
    expect(parseLabArgs(["up", "--base-port", "20000"])).toEqual({ command: "up", basePort: 20000, baseGiven: true });
    expect(parseLabArgs(["--help"])).toHaveProperty("help", expect.stringContaining(`eval "$(npm run -s lab -- env)"`));
  });

  it("bad ones are named with the fix", () => {
    expect(() => parseLabArgs(["frob"])).toThrow('unknown command "frob"; use one of up, down, env, status.');
    expect(() => parseLabArgs(["up", "down"])).toThrow("give one command (up, down, env, status); got up down.");
    expect(() => parseLabArgs(["env", "--base-port", "20000"])).toThrow("--base-port goes with up");
    expect(() => parseLabArgs(["--base-port", "x"])).toThrow(/--base-port must be a whole number from 1024 to \d+/);
    expect(() => parseLabArgs(["--base-port", "65500"])).toThrow(/got "65500"/);
    expect(() => parseLabArgs(["--verbose"])).toThrow(/--verbose/);
  });
});

describe("lab ports", () => {
  it("every port of the layout is distinct and within the documented range", () => {
    const uses = portUses(labPorts(DEFAULT_BASE_PORT));
    expect(uses).toHaveLength(2 * 3 * 3 + 3 + 3);
    expect(new Set(uses.map((use) => use.port)).size).toBe(uses.length);
    const range = portRange(DEFAULT_BASE_PORT);
    expect(uses.every((use) => use.port >= range.first && use.port <= range.last)).toBe(true);
    expect(labPorts(DEFAULT_BASE_PORT).members["us-east-1"].map((member) => member.client)).toEqual([
      14201, 14202, 14203,
    ]);
    expect(labPorts(DEFAULT_BASE_PORT).members["eu-central-1"].map((member) => member.client)).toEqual([
      14301, 14302, 14303,
    ]);
    // Only the listening region has leafnode ports; the relays sit in front of them.
    expect(labPorts(DEFAULT_BASE_PORT).members["eu-central-1"].every((member) => member.leaf === undefined)).toBe(true);
    expect(labPorts(DEFAULT_BASE_PORT).relays).toEqual([14241, 14242, 14243]);
  });
});

describe("config paths", () => {
  it("structured values become one --path key per leaf, secrets marked", () => {
    expect(
      pathConfigMap(
        {
          region: "eu-central-1",
          regions: { "us-east-1": { servers: ["nats://a:1", "nats://b:2"] } },
          backup: { enabled: false },
          natsPassword: "s3cret",
        },
        ["natsPassword"],
      ),
    ).toEqual({
      "nats-dr:region": { value: "eu-central-1", secret: false },
      "nats-dr:regions.us-east-1.servers[0]": { value: "nats://a:1", secret: false },
      "nats-dr:regions.us-east-1.servers[1]": { value: "nats://b:2", secret: false },
      "nats-dr:backup.enabled": { value: "false", secret: false },
      "nats-dr:natsPassword": { value: "s3cret", secret: true },
    });
  });

  it("values a path cannot carry faithfully are refused, naming the path", () => {
    expect(() => pathConfigMap({ catalog: { streams: { "a.b": {} } } })).toThrow(
      'config path nats-dr:catalog.streams: the key "a.b" cannot be written as a path.',
    );
    expect(() => pathConfigMap({ catalog: { maxBytes: "1024" } })).toThrow(
      'config path nats-dr:catalog.maxBytes: the string "1024" would be stored as a number.',
    );
    expect(() => pathConfigMap({ backup: { enabled: null } })).toThrow(
      "config path nats-dr:backup.enabled: null is not a string, number or boolean.",
    );
  });
});

describe("command lines", () => {
  it("shell words are quoted only when needed", () => {
    expect(shellWord("nats://127.0.0.1:4222,nats://127.0.0.1:4223")).toBe(
      "nats://127.0.0.1:4222,nats://127.0.0.1:4223",
    );
    expect(shellWord("a b")).toBe("'a b'");
    expect(shellWord("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });

  it("npm run status carries the credentials and every region's URLs", () => {
    const regions = [
      {
        region: "us-east-1",
        clientUrls: ["nats://127.0.0.1:1", "nats://127.0.0.1:2"],
        monitorUrls: ["http://127.0.0.1:3"],
      },
    ];
    expect(statusCommandLine(regions, { user: "app", password: "p w" })).toBe(
      "NATS_USER=app NATS_PASSWORD='p w' npm run status -- --region us-east-1=nats://127.0.0.1:1,nats://127.0.0.1:2 --monitor us-east-1=http://127.0.0.1:3",
    );
    expect(statusCommandLine(regions, { user: "app", password: "pw" }, "npm --prefix /src run")).toMatch(
      /^NATS_USER=app NATS_PASSWORD=pw npm --prefix \/src run status -- /,
    );
  });
});
