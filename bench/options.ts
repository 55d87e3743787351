// The benchmarks' command lines, as the drill's: --help prints the usage, and a bad option ends
// the command with exit status 2 and one line that names the option and what it takes.

/**
 * The options `parse` reads from the command line, or the end of the command: the usage on
 * stdout for -h/--help (exit 0), else a bad option's message and where the usage is (exit 2).
 */
export function benchOptions<T>(command: string, usage: string, parse: (argv: string[]) => T): T {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parse(argv);
  } catch (error) {
    process.stderr.write(
      `${command}: ${(error as Error).message}\nRun npm run ${command} -- --help for the options.\n`,
    );
    process.exit(2);
  }
}

/** A comma-separated list of whole numbers from `min` up ("" for none). */
export function wholeNumberList(name: string, text: string, min: number): number[] {
  if (text.trim() === "") return [];
  return text.split(",").map((item) => wholeNumber(name, item.trim(), min));
}

/** A whole number from `min` up. */
export function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (text === "" || !Number.isInteger(value) || value < min)
    throw new Error(`--${name} takes whole numbers from ${min} up; got "${text}".`);
  return value;
}
