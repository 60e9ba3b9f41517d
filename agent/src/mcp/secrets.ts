/**
 * Decides whether a config value is a literal secret. Only a yes/no leaves this module: the value,
 * or any part of it, is never returned, logged or thrown.
 */

/** Token formats with a documented prefix (OpenAI/Anthropic, GitHub, Slack, AWS, Google, GitLab, npm, Hugging Face, Stripe...). */
const KNOWN_TOKENS: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{16,}/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/,
  /\bxox[abposre]-[A-Za-z0-9-]{10,}/,
  /\bxapp-[A-Za-z0-9-]{10,}/,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{30,}/,
  /\bglpat-[A-Za-z0-9_-]{16,}/,
  /\bnpm_[A-Za-z0-9]{30,}/,
  /\bhf_[A-Za-z0-9]{30,}/,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/,
  /\bgsk_[A-Za-z0-9]{30,}/,
  /\bpplx-[A-Za-z0-9]{30,}/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/**
 * Env, header, query and flag names that hold credentials. Long words match anywhere (PGPASSWORD,
 * GITHUBTOKEN); short ones only as a whole word (API_KEY, --pass, X-Auth) so KEYBOARD or AUTHOR do not.
 */
const SECRET_NAME =
  /password|passwd|token|secret|api[_-]?key|credential|private[_-]?key|access[_-]?key|(?:^|[^a-z])(?:key|pass|pwd|auth|authorization|bearer|cookie|session|signature|sig)(?:$|[^a-z])/i;

/** `${VAR}`, `${env:VAR}`, `${input:id}`, `{env:VAR}`, `$VAR`, `%VAR%`: references, not values. */
const REFERENCE = /\$\{[^}]*\}|\{env:[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%/g;

/** Values people leave in example configs. */
const PLACEHOLDER =
  /^(?:<[^>]*>|\[[^\]]*\]|\{\{[^}]*\}\}|your[-_ ].*|.*[-_ ]here|x{3,}|\*{3,}|\.{3,}|changeme|change[-_ ]me|placeholder|replace[-_ ]?me|todo|none|null|undefined|true|false|redacted|secret|token|password)$/i;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOCAL_PATH = /^(?:\/|~|\.{1,2}[\\/]|[A-Za-z]:[\\/]|\\\\)/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/([a-z])([A-Z])/g, '$1_$2'));
}

/** What is left of a value once references and an auth scheme word are removed. */
function literalPart(value: string): string {
  return value
    .replace(REFERENCE, '')
    .replace(/^\s*(?:bearer|basic|token|apikey)\s+/i, '')
    .trim();
}

function shannonBitsPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A random-looking token: 32+ hex digits, or 20+ characters mixing lower case, upper case and at
 * least two digits with high entropy. Package names, host names, versions and words do not mix
 * classes like that; UUIDs are ids more often than secrets and are left to the name rule.
 */
function looksRandom(s: string): boolean {
  if (s.length < 20 || s.length > 4096 || !/^[A-Za-z0-9+_.~-]+$/.test(s) || UUID.test(s)) return false;
  if (s.length >= 32 && /^[0-9a-f]+$/i.test(s)) return true;
  const digits = s.replace(/[^0-9]/g, '').length;
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && digits >= 2 && shannonBitsPerChar(s) >= 3.5;
}

/** True when the text holds a token of a known format or a random-looking token. */
export function looksLikeToken(value: string): boolean {
  if (KNOWN_TOKENS.some((re) => re.test(value))) return true;
  return literalPart(value)
    .split(/[\s/?&=:,;@#]+/)
    .some(looksRandom);
}

/**
 * True when `value`, stored under `name` (an env var, header, query parameter or flag), is a
 * literal secret: a known token format, a random-looking token, or any real-looking literal under
 * a credential name. References (`${API_KEY}`) and placeholders (`<your-key>`) are not secrets.
 */
export function isLiteralSecret(value: string, name?: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value.trim())) return urlHasSecret(value.trim());
  if (looksLikeToken(value)) return true;
  if (name === undefined || !isSecretName(name)) return false;
  const literal = literalPart(value);
  if (literal.length < 8 || PLACEHOLDER.test(literal)) return false;
  // A file holding the credential (GOOGLE_APPLICATION_CREDENTIALS=/path/key.json) is not the credential.
  if (LOCAL_PATH.test(literal) || /^[\w.-]+\.(?:json|pem|key|p12|txt)$/i.test(literal)) return false;
  if (/^\d+$/.test(literal)) return literal.length >= 12;
  return true;
}

/** Secrets in a URL: a userinfo password, credential-named query values, token-like path segments. */
export function urlHasSecret(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return looksLikeToken(raw);
  }
  if (url.password !== '' || (url.username !== '' && looksLikeToken(decodeSafe(url.username)))) return true;
  for (const [k, v] of url.searchParams) if (isLiteralSecret(v, k)) return true;
  if (url.hash.length > 1 && looksLikeToken(decodeSafe(url.hash.slice(1)))) return true;
  return url.pathname.split('/').some((seg) => seg !== '' && looksLikeToken(decodeSafe(seg)));
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Secrets in a command's arguments: tokens anywhere, `--api-key VALUE` / `--token=VALUE` pairs,
 * `Authorization: Bearer ...` header args (mcp-remote `--header`), `KEY=VALUE` pairs (docker -e)
 * and URLs.
 */
export function argsHaveSecret(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      if (urlHasSecret(arg)) return true;
      continue;
    }
    if (looksLikeToken(arg)) return true;
    const flag = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (flag) {
      const [, name = '', inline] = flag;
      const next = args[i + 1];
      const value = inline ?? (next !== undefined && !next.startsWith('-') ? next : undefined);
      if (value !== undefined && isLiteralSecret(value, name)) return true;
      continue;
    }
    const header = /^([A-Za-z][\w-]*)\s*:\s*(.+)$/s.exec(arg);
    if (header && isLiteralSecret(header[2] ?? '', header[1])) return true;
    const pair = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    if (pair && isLiteralSecret(pair[2] ?? '', pair[1])) return true;
  }
  return false;
}
