const MAX_SHOWN = 200;

// eslint-disable-next-line no-control-regex -- matching the C0 control characters and DEL is the point of this pattern
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** `value` with each control character (NUL included) replaced by '?', safe to put in a message or a log line. */
export function withoutControlCharacters(value: string): string {
  return value.replace(CONTROL_CHARACTERS, '?');
}

/**
 * User input as an error message may repeat it: control characters replaced and at most 200
 * characters, so a 10 MB field is never echoed back (or into the log) whole.
 */
export function shown(value: string): string {
  const clean = withoutControlCharacters(value);
  return clean.length <= MAX_SHOWN ? clean : `${clean.slice(0, MAX_SHOWN)}… (${value.length} characters)`;
}
