/**
 * What of a request's URL may be written to the audit trail and the logs. Clients put secrets
 * where they do not belong (`?access_token=…`, a token value where its id belongs), and neither
 * the audit trail nor a log line may keep them (docs/security.md "Audit trail").
 */

/** A token value as the registry mints them (model/tokens.ts: `dr_` and 43 base64url characters). */
const TOKEN_VALUE = /dr_[A-Za-z0-9_-]{43}/g;
/** A parameter name kept beside a redacted value: short and plain, so it cannot be a secret itself. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,23}$/;
export const REDACTED = '[redacted]';

/** The path with every segment that looks like a token value replaced by `[redacted]`. */
export function shownPath(path: string): string {
  return path.replace(TOKEN_VALUE, REDACTED);
}

/**
 * The path and query for the audit trail: the parameters the route declares keep their values (a
 * purge is told from a restore), any other parameter's value becomes `[redacted]`, and its name
 * too unless it is a short plain word (a bare `?<secret>` is a name without a value).
 */
export function shownTarget(path: string, querystring: string, declared: ReadonlySet<string>): string {
  if (querystring === '') return shownPath(path);
  const pairs = querystring.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (eq >= 0 && declared.has(decodedName(name))) return shownPath(pair);
    return eq >= 0 && PLAIN_NAME.test(name) ? `${name}=${REDACTED}` : REDACTED;
  });
  return `${shownPath(path)}?${pairs.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return '';
  }
}
