// The longest time between two runs of a CronJob schedule, for the "backup older than twice its
// schedule" alert. Pure; the schedule was validated by the config (cronProblem).

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELDS = [
  { min: 0, max: 59, names: [] as string[], offset: 0 },
  { min: 0, max: 23, names: [] as string[], offset: 0 },
  { min: 1, max: 31, names: [] as string[], offset: 0 },
  {
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    offset: 1,
  },
  { min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], offset: 0 },
] as const;

function expand(field: string, index: number): Set<number> {
  const spec = FIELDS[index]!;
  const value = (text: string) => {
    const named = (spec.names as readonly string[]).indexOf(text.toLowerCase());
    return named >= 0 ? named + spec.offset : Number(text);
  };
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const [range, step] = part.split("/");
    const [low, high] =
      range === "*" ? [spec.min, spec.max] : [value(range!.split("-")[0]!), value(range!.split("-")[1] ?? range!)];
    // "5/15" means from 5 to the end in steps of 15.
    const end = step !== undefined && !range!.includes("-") && range !== "*" ? spec.max : high;
    for (let v = low; v <= end; v += step === undefined ? 1 : Number(step)) values.add(index === 4 && v === 7 ? 0 : v);
  }
  return values;
}

/**
 * Seconds of the longest gap between consecutive runs of `schedule` (five fields or a macro, UTC)
 * over two years, so yearly and leap-day schedules are measured too.
 */
export function longestScheduleGapSeconds(schedule: string): number {
  const fields = (MACROS[schedule.trim()] ?? schedule.trim()).split(/\s+/);
  const [minutes, hours, days, months, weekdays] = fields.map(expand) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  // Cron runs on a day when either day field matches if both are restricted, else when both do.
  const dayRestricted = fields[2] !== "*";
  const weekdayRestricted = fields[4] !== "*";
  const start = Date.UTC(2024, 0, 1);
  const end = Date.UTC(2028, 0, 1);
  let previous: number | undefined;
  let first: number | undefined;
  let longest = 0;
  for (let day = start; day < end; day += 86_400_000) {
    const date = new Date(day);
    if (!months.has(date.getUTCMonth() + 1)) continue;
    const dayMatch = days.has(date.getUTCDate());
    const weekdayMatch = weekdays.has(date.getUTCDay());
    const runs =
      dayRestricted && weekdayRestricted ? dayMatch || weekdayMatch : (!dayRestricted || dayMatch) && weekdayMatch;
    if (!runs) continue;
    for (const hour of [...hours].sort((a, b) => a - b)) {
      for (const minute of [...minutes].sort((a, b) => a - b)) {
        const at = day + (hour * 60 + minute) * 60_000;
        if (previous !== undefined) longest = Math.max(longest, at - previous);
        first ??= at;
        previous = at;
      }
    }
  }
  // A schedule that runs once in the window (29 February of a leap year...) waits at least the whole window.
  if (previous === undefined || previous === first) return (end - start) / 1000;
  return longest / 1000;
}
