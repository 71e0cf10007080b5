// What may leave a process in an error message: a short, printable excerpt of any input value,
// and messages with `NAME=value` pairs and known secret values masked. Table readers quote field
// values through `excerpt`; the gRPC edge passes every message through `redact` as a second line
// of defence (a file such as /proc/self/environ must never come back to a client).

/** Longest excerpt of an input value quoted in an error. */
export const EXCERPT_CHARS = 40;

/** A value as an error may quote it: control characters shown as `?`, `NAME=value` masked, cut to `max` chars. */
export function excerpt(value: string, max = EXCERPT_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const masked = maskAssignments(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return masked.length > max ? `${masked.slice(0, max)}...` : masked;
}

/** `NAME=value` (an environment variable, a query parameter, a key file line) -> `NAME=***`. */
function maskAssignments(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\b([A-Za-z_][A-Za-z0-9_.-]*)=[^\s,;'"&)\u0000-\u001f]*/g, '$1=***');
}

// Only secret-looking names: "set NOISY_ALLOW_CPU_FOR_GPU_ROLE=true" must stay readable.
const SECRET_ASSIGNMENT =
  // eslint-disable-next-line no-control-regex
  /\b([A-Za-z_][A-Za-z0-9_.-]*(?:SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|AUTH|KEY)[A-Za-z0-9_.-]*)=[^\s,;'"&)\u0000-\u001f]*/gi;

/** Longest message the edge returns; the rest is in the service's log. */
export const MESSAGE_CHARS = 2000;

/**
 * A message as a client may see it: every `secret` value replaced by `***`, `NAME=value` masked
 * where NAME looks secret,
 * control characters removed, quoted excerpts ('...') cut to EXCERPT_CHARS, and the whole cut to
 * MESSAGE_CHARS.
 */
export function redact(message: string, secrets: readonly string[] = []): string {
  let text = message;
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join('***');
  text = text.replace(SECRET_ASSIGNMENT, '$1=***');
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
  text = text.replace(/'([^'\n]{41,})'/g, (_m, q: string) => `'${q.slice(0, EXCERPT_CHARS)}...'`);
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}...` : text;
}

/** Values of the environment's secret-looking variables (…SECRET…, …PASSWORD…, …TOKEN…, …_KEY), to pass to `redact`. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /SECRET|PASSWORD|TOKEN|CREDENTIAL|_KEY$|_KEY_ID$/i.test(k))
    .map(([, v]) => v!);
}
