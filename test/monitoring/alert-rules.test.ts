// The alert rules with the real promtool: `promtool check rules` on the rendered file, and
// `promtool test rules` with one scenario per alert (scenarios.ts): it fires within its `for` on
// series shaped like the exporter's, not before, and stays silent on a healthy region.
import { readFileSync } from "node:fs";
import path from "node:path";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { alertNames, knownSeries, renderRuleGroups, renderRulesFile } from "../../infra/monitoring";
import { runPromtool } from "./promtool";
import { promtoolTests, ruleInput, scenarios } from "./scenarios";
import { usedSeries } from "./queries";

const groups = renderRuleGroups(ruleInput);
const rulesText = renderRulesFile(groups);

describe("alert rules", () => {
  it("promtool check rules accepts the rendered file", () => {
    const result = runPromtool(["check", "rules", "rules.yaml"], { "rules.yaml": rulesText });
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("every alert fires on failing series within its for and stays silent on healthy ones", () => {
    const list = scenarios();
    // Every alert has a scenario, and no scenario names an alert that does not exist.
    expect(list.map((scenario) => scenario.alert).sort()).toEqual(alertNames(groups).sort());
    const tests = dump(promtoolTests(groups, list, "rules.yaml"), { lineWidth: -1, noRefs: true });
    const result = runPromtool(["test", "rules", "tests.yaml"], { "rules.yaml": rulesText, "tests.yaml": tests });
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("promtool test rules fails when an alert is expected and does not fire", () => {
    // The check above could not pass by accident: the same run with an impossible expectation fails.
    const [first] = scenarios();
    const broken = { ...first!, failing: first!.healthy };
    const tests = dump(promtoolTests(groups, [broken], "rules.yaml"), { lineWidth: -1, noRefs: true });
    const result = runPromtool(["test", "rules", "tests.yaml"], { "rules.yaml": rulesText, "tests.yaml": tests });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("FAILED");
  });

  it("use only series the exporter, kube-state-metrics or our recording rules emit", () => {
    for (const group of groups)
      for (const rule of group.rules)
        for (const name of usedSeries(rule.expr)) expect(knownSeries, `${name} in ${rule.expr}`).toContain(name);
  });

  it("every alert has a severity, a for, a summary naming the region or stream, and a runbook link", () => {
    for (const group of groups)
      for (const rule of group.rules) {
        if (!("alert" in rule)) continue;
        expect(["warning", "critical"]).toContain(rule.labels["severity"]);
        expect(rule.for).toMatch(/^\d+[smh]$/);
        expect(rule.annotations.summary).toMatch(/eu-central-1|\{\{ \$labels\.stream_name \}\}|region stacks/);
        expect(rule.annotations.runbook_url).toBe(
          `https://docs.example.com/nats-dr/monitoring.md#${rule.alert.toLowerCase()}`,
        );
      }
  });

  it("every selector of the regional groups names the region", () => {
    const regional = groups.filter((group) => group.name !== "nats-dr-cross-region");
    for (const group of regional)
      for (const rule of group.rules)
        for (const selector of rule.expr.match(/[a-z_:]+\{[^}]*\}/g) ?? []) {
          if (selector.startsWith("kube_")) continue;
          expect(selector, rule.expr).toContain('region="eu-central-1"');
        }
  });

  it("docs/monitoring.md has the section each runbook link points at", () => {
    const docs = readFileSync(path.join(__dirname, "..", "..", "docs", "monitoring.md"), "utf8");
    const sections = [...docs.matchAll(/^### (\w+)$/gm)].map((match) => match[1]);
    expect(sections).toEqual(alertNames(groups));
  });

  it("the rendered file is deterministic", () => {
    expect(renderRulesFile(renderRuleGroups(ruleInput))).toBe(rulesText);
  });

  it("a single server has no quorum or leader alerts (the exporter leaves leader labels empty there)", () => {
    const names = alertNames(renderRuleGroups({ ...ruleInput, replicas: 1 }));
    expect(names).not.toContain("NatsDrQuorumLost");
    expect(names).not.toContain("NatsDrStreamNoLeader");
    expect(names).toContain("NatsDrServersDown");
  });

  it("without a backup CronJob there is no backup alert", () => {
    const { backup: _backup, ...withoutBackup } = ruleInput;
    expect(alertNames(renderRuleGroups(withoutBackup))).not.toContain("NatsDrBackupStale");
  });
});
