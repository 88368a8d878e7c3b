const MAX_SHOWN = 200;

/**
 * User input as an error message may repeat it: control characters replaced and at most 200
 * characters, so a 10 MB field is never echoed back (or into the log) whole.
 */
export function shown(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length <= MAX_SHOWN ? clean : `${clean.slice(0, MAX_SHOWN)}… (${value.length} characters)`;
}
