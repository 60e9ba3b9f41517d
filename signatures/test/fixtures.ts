import type { Interpreter, Observation, ToolSignature } from '../src/index.js';

/** A process of each interpreter family, for command-line marker fixtures. */
const INTERPRETER_PROCESS: Record<Interpreter, { name: string; exe: string }> = {
  node: { name: 'node', exe: '/usr/bin/node' },
  python: { name: 'python3', exe: '/usr/bin/python3' },
  bun: { name: 'bun', exe: '/home/u/.bun/bin/bun' },
  deno: { name: 'deno', exe: '/home/u/.deno/bin/deno' },
  java: { name: 'java', exe: '/usr/bin/java' },
  electron: { name: 'Code Helper (Plugin)', exe: '/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin)' },
  any: { name: 'sh', exe: '/bin/sh' },
};

export interface Fixture {
  what: string;
  obs: Observation;
}

/**
 * Positive observations generated from a tool's own identifiers: the automatic fixture every
 * signature gets (Sigma's "every rule has a positive test").
 */
export function positiveFixtures(tool: ToolSignature): Fixture[] {
  const out: Fixture[] = [];
  const m = tool.match;
  for (const p of m.processes ?? []) {
    const dir = p.path_contains ? `/Applications/${p.path_contains}/Contents/MacOS` : '/usr/local/bin';
    const obs: Observation = { type: 'process', name: p.name, exe: `${dir}/${p.name}` };
    if (p.os) obs.os = p.os[0];
    out.push({ what: `process ${p.name}`, obs });
    // The executable alone (a sensor that only knows the path) matches too.
    out.push({ what: `exe ${p.name}`, obs: { ...obs, name: 'renamed-by-sensor' } });
  }
  for (const c of m.cmdline ?? []) {
    for (const i of c.interpreters) {
      const proc = INTERPRETER_PROCESS[i];
      const marker = c.contains.startsWith('/') ? c.contains : `/${c.contains}`;
      out.push({ what: `cmdline ${i} ${c.contains}`, obs: { type: 'process', name: proc.name, exe: proc.exe, cmdline: `${proc.name} /opt/x${marker}/cli.js --flag` } });
    }
  }
  for (const e of m.vscode_extensions ?? []) {
    out.push({ what: `vscode ${e.id}`, obs: { type: 'extension', ecosystem: 'vscode', id: e.id } });
    out.push({ what: `vscode ${e.id} lower-cased`, obs: { type: 'extension', ecosystem: 'vscode', id: e.id.toLowerCase() } });
  }
  for (const e of m.jetbrains_plugins ?? []) out.push({ what: `jetbrains ${e.id}`, obs: { type: 'extension', ecosystem: 'jetbrains', id: e.id } });
  for (const e of m.browser_extensions ?? []) {
    out.push({ what: `${e.browser} ${e.id}`, obs: { type: 'extension', ecosystem: e.browser, id: e.id } });
    if (e.browser === 'chrome') out.push({ what: `edge (chrome store) ${e.id}`, obs: { type: 'extension', ecosystem: 'edge', id: e.id } });
  }
  for (const h of m.hosts ?? []) {
    if (h.match === 'wildcard') {
      out.push({ what: `wildcard ${h.name}`, obs: { type: 'host', name: h.name.replace('*', 'zz9') } });
      continue;
    }
    out.push({ what: `${h.match} ${h.name}`, obs: { type: 'host', name: h.name } });
    out.push({ what: `${h.match} ${h.name} upper-case, trailing dot`, obs: { type: 'host', name: `${h.name.toUpperCase()}.` } });
    if (h.match === 'suffix') out.push({ what: `suffix ${h.name} subdomain`, obs: { type: 'host', name: `deep.sub.${h.name}` } });
  }
  for (const p of m.ports ?? []) out.push({ what: `port ${p.protocol}/${p.port}`, obs: { type: 'port', port: p.port, protocol: p.protocol } });
  return out;
}
