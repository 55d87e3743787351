// Words for a POSIX shell command line that a user pastes or `eval`s.

/** `text` as one shell word: as it is when it holds only safe characters, else in single quotes. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
