/**
 * Parents shared by many unrelated tenants or services. A catalog entry that matches one of them
 * as a whole (exact, suffix, or a bare '*' label right under it) would flag ordinary traffic,
 * so the loader refuses it (code host-too-broad). Name a specific host or a wildcard with a
 * literal part instead (e.g. 'bedrock-runtime.*.amazonaws.com', '*-aiplatform.googleapis.com').
 */
export const MULTI_TENANT_PARENTS: ReadonlySet<string> = new Set([
  'amazonaws.com',
  'amazon.com',
  'cloudfront.net',
  'googleapis.com',
  'google.com',
  'gstatic.com',
  'googleusercontent.com',
  'appspot.com',
  'run.app',
  'web.app',
  'firebaseapp.com',
  'azure.com',
  'azureedge.net',
  'azurewebsites.net',
  'azurefd.net',
  'windows.net',
  'microsoft.com',
  'microsoftonline.com',
  'live.com',
  'office.com',
  'visualstudio.com',
  'vscode-cdn.net',
  'github.com',
  'githubusercontent.com',
  'github.io',
  'githubassets.com',
  'cloudflare.com',
  'workers.dev',
  'pages.dev',
  'r2.dev',
  'fastly.net',
  'akamaihd.net',
  'akamaized.net',
  'vercel.app',
  'netlify.app',
  'herokuapp.com',
  'apple.com',
  'icloud.com',
  'npmjs.org',
  'npmjs.com',
  'pypi.org',
  'pythonhosted.org',
]);

/** Why a host entry is too broad for the catalog, or null. `name` is a valid lower-case pattern. */
export function hostBreadthProblem(name: string, match: string): string | null {
  if (match === 'wildcard') {
    if (name.startsWith('*.') && MULTI_TENANT_PARENTS.has(name.slice(2))) return `'*.${name.slice(2)}' covers every tenant of a shared parent`;
    return null;
  }
  if (MULTI_TENANT_PARENTS.has(name)) return `'${name}' is a shared multi-tenant parent; name the tool's own host instead`;
  return null;
}
