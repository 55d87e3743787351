import type { DrillContext } from "../context";
import type { ScenarioFigures } from "../report/types";
import type { SequenceComparison } from "../verify";

/** What a scenario hands back; the runner adds the evidence files and the verdict. */
export interface ScenarioOutcome {
  readonly title: string;
  readonly figures: ScenarioFigures;
  readonly notes: readonly string[];
  readonly comparisons: readonly SequenceComparison[];
}

export type Scenario = (ctx: DrillContext) => Promise<ScenarioOutcome>;
