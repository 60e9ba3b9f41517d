import { createHash } from 'node:crypto';
import { canonicalJson, catalogVersion } from './canonical.js';
import { HostIndex } from './host-index.js';
import { hostPatternProblem } from './hostname.js';
import { exeBaseName, interpreterOf, normaliseProcessName } from './process-names.js';
import type { Classification, Interpreter, Observation, OverrideIgnore, SignatureOs, ToolSignature } from './types.js';

export interface Classifier {
  classify(obs: Observation): Classification;
  readonly version: string;
  readonly tools: ReadonlyMap<string, ToolSignature>;
}

export interface CompileOptions {
  /** Observed values never to classify (an overrides file's top-level `ignore`). */
  ignore?: OverrideIgnore;
}

/** Base confidence of a match on one tool, by matcher (see README "Confidence"). */
export const CONFIDENCE = {
  extension: 1,
  exactHost: 0.95,
  process: 0.95,
  patternHost: 0.9,
  cmdline: 0.9,
  port: 0.6,
} as const;
/** Share kept by the one owner when other tools list the same identifier as shared. */
export const OWNER_SHARE = 0.75;

/** The answer when nothing matched. Results are shared and frozen: do not mutate them. */
export const NO_MATCH: Classification = Object.freeze({
  tool: null,
  tool_name: null,
  category: null,
  confidence: 0,
  candidates: Object.freeze([]) as unknown as string[],
  evidence: null,
});

interface Owner {
  tool: number;
  shared: boolean;
}

interface ProcessRule {
  tool: number;
  name: string;
  os: ReadonlySet<SignatureOs> | null;
  pathContains: string | null;
  single: Classification;
}

interface CmdlineRule {
  tool: number;
  any: boolean;
  families: ReadonlySet<Interpreter>;
  contains: string;
  raw: string;
}

const STATUS_RANK: Record<ToolSignature['status'], number> = { stable: 0, experimental: 1, deprecated: 2 };

/** Compiles tools into a classifier. `version` defaults to the hash of the tools (and of `options.ignore`). */
export function compileCatalog(tools: ToolSignature[], version?: string, options: CompileOptions = {}): Classifier {
  return new CompiledCatalog(tools, version ?? defaultVersion(tools, options.ignore), options.ignore ?? {});
}

function defaultVersion(tools: ToolSignature[], ignore: OverrideIgnore | undefined): string {
  const base = catalogVersion(tools);
  if (!ignore || Object.values(ignore).every((v) => !Array.isArray(v) || v.length === 0)) return base;
  return `${base}+ignore:${createHash('sha256').update(canonicalJson(ignore)).digest('hex').slice(0, 8)}`;
}

class CompiledCatalog implements Classifier {
  readonly tools: ReadonlyMap<string, ToolSignature>;
  private readonly list: ToolSignature[];
  private readonly hostIndex = new HostIndex();
  /** Operator-ignored host names: checked first, they win over any catalog pattern. */
  private readonly ignoredHosts: HostIndex | null;
  private readonly hostResults: Classification[] = [];
  private readonly processes = new Map<string, ProcessRule[]>();
  private readonly cmdline: CmdlineRule[] = [];
  private readonly hasAnyCmdline: boolean;
  private readonly vscode = new Map<string, Classification>();
  private readonly jetbrains = new Map<string, Classification>();
  private readonly chrome = new Map<string, Classification>();
  private readonly edge = new Map<string, Classification>();
  private readonly firefox = new Map<string, Classification>();
  private readonly tcp = new Map<number, Classification>();
  private readonly udp = new Map<number, Classification>();
  private readonly ignoredProcesses: ReadonlySet<string>;
  private readonly ignoredExtensions: ReadonlySet<string>;

  constructor(
    tools: ToolSignature[],
    readonly version: string,
    ignore: OverrideIgnore,
  ) {
    // Index order is stable whatever order the caller passes the tools in.
    this.list = [...tools].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.tools = new Map(this.list.map((t) => [t.id, t]));
    this.indexHosts();
    this.ignoredHosts = indexIgnoredHosts(ignore);
    this.indexProcesses();
    this.indexExtensionsAndPorts();
    this.hasAnyCmdline = this.cmdline.some((r) => r.any);
    this.ignoredProcesses = new Set((ignore.processes ?? []).map(normaliseProcessName));
    this.ignoredExtensions = new Set((ignore.extensions ?? []).map((id) => id.toLowerCase()));
  }

  classify(obs: Observation): Classification {
    if (obs === null || typeof obs !== 'object') return NO_MATCH;
    switch (obs.type) {
      case 'host': {
        if (this.ignoredHosts !== null && this.ignoredHosts.lookup(obs.name) >= 0) return NO_MATCH;
        const at = this.hostIndex.lookup(obs.name);
        return at < 0 ? NO_MATCH : (this.hostResults[at] as Classification);
      }
      case 'process':
        return this.classifyProcess(obs);
      case 'extension':
        return this.classifyExtension(obs.ecosystem, obs.id);
      case 'port': {
        const table = obs.protocol === undefined || obs.protocol === 'tcp' ? this.tcp : obs.protocol === 'udp' ? this.udp : undefined;
        return (typeof obs.port === 'number' && table?.get(obs.port)) || NO_MATCH;
      }
      default:
        return NO_MATCH;
    }
  }

  private classifyExtension(ecosystem: unknown, id: unknown): Classification {
    if (typeof id !== 'string' || id.length === 0) return NO_MATCH;
    if (this.ignoredExtensions.size > 0 && this.ignoredExtensions.has(id.toLowerCase())) return NO_MATCH;
    switch (ecosystem) {
      case 'vscode':
        return this.vscode.get(id.toLowerCase()) ?? NO_MATCH;
      case 'jetbrains':
        return this.jetbrains.get(id) ?? NO_MATCH;
      case 'chrome':
        return this.chrome.get(id) ?? NO_MATCH;
      case 'edge':
        return this.edge.get(id) ?? NO_MATCH;
      case 'firefox':
        return this.firefox.get(id) ?? NO_MATCH;
      default:
        return NO_MATCH;
    }
  }

  private classifyProcess(obs: { name: unknown; exe?: unknown; cmdline?: unknown; os?: unknown }): Classification {
    const name = typeof obs.name === 'string' ? normaliseProcessName(obs.name) : '';
    const exe = typeof obs.exe === 'string' ? obs.exe : '';
    const base = exe === '' ? '' : exeBaseName(exe);
    if (this.ignoredProcesses.size > 0 && (this.ignoredProcesses.has(name) || this.ignoredProcesses.has(base))) return NO_MATCH;
    const byName = this.matchProcessRules(name, base, exe, obs.os);
    if (byName !== NO_MATCH) return byName;
    if (typeof obs.cmdline !== 'string' || obs.cmdline === '' || this.cmdline.length === 0) return NO_MATCH;
    const family = interpreterOf(name) ?? (base === '' ? null : interpreterOf(base));
    if (family === null && !this.hasAnyCmdline) return NO_MATCH;
    return this.matchCmdline(family, obs.cmdline);
  }

  private matchProcessRules(name: string, base: string, exe: string, os: unknown): Classification {
    const a = name === '' ? undefined : this.processes.get(name);
    const b = base === '' || base === name ? undefined : this.processes.get(base);
    if (a === undefined && b === undefined) return NO_MATCH;
    const exeLower = exe.toLowerCase().replaceAll('\\', '/');
    const matched: ProcessRule[] = [];
    let withPath = false;
    for (const rule of [...(a ?? []), ...(b ?? [])]) {
      if (rule.os !== null && typeof os === 'string' && !rule.os.has(os as SignatureOs)) continue;
      if (rule.pathContains !== null) {
        if (!exeLower.includes(rule.pathContains)) continue;
        if (!withPath) matched.length = 0;
        withPath = true;
      } else if (withPath) continue;
      matched.push(rule);
    }
    if (matched.length === 0) return NO_MATCH;
    const first = matched[0] as ProcessRule;
    if (matched.every((r) => r.tool === first.tool)) return first.single;
    return this.result(
      matched.map((r) => ({ tool: r.tool, shared: false })),
      CONFIDENCE.process,
      'process',
      first.name,
    );
  }

  private matchCmdline(family: Interpreter | null, cmdline: string): Classification {
    const text = cmdline.toLowerCase().replaceAll('\\', '/');
    let best: CmdlineRule | undefined;
    const hits: CmdlineRule[] = [];
    for (const rule of this.cmdline) {
      if (!(rule.any || (family !== null && rule.families.has(family)))) continue;
      if (!text.includes(rule.contains)) continue;
      hits.push(rule);
      if (best === undefined || rule.contains.length > best.contains.length) best = rule;
    }
    if (best === undefined) return NO_MATCH;
    const top = best;
    // Longest marker first; other tools whose markers also matched follow as candidates.
    hits.sort((x, y) => y.contains.length - x.contains.length || (x.tool - y.tool));
    const tools = [...new Set(hits.map((h) => h.tool))];
    const candidates = tools.map((t) => (this.list[t] as ToolSignature).id);
    const unique = tools.length === 1;
    const topTied = hits.filter((h) => h.contains.length === top.contains.length && h.tool !== top.tool).length > 0;
    const confidence = unique ? CONFIDENCE.cmdline : topTied ? CONFIDENCE.cmdline / tools.length : CONFIDENCE.cmdline * OWNER_SHARE;
    return this.describe(top.tool, candidates, round(confidence), 'cmdline-marker', top.raw);
  }

  private indexHosts(): void {
    const groups = new Map<string, { name: string; match: 'exact' | 'suffix' | 'wildcard'; owners: Owner[] }>();
    this.list.forEach((tool, t) => {
      for (const h of tool.match.hosts ?? []) {
        // Patterns the loader would reject never reach the index, even from hand-built tool objects.
        if (hostPatternProblem(h.name, h.match) !== null) continue;
        const key = `${h.match} ${h.name}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { name: h.name, match: h.match, owners: [] }));
        g.owners.push({ tool: t, shared: h.shared === true });
      }
    });
    for (const g of groups.values()) {
      const base = g.match === 'exact' ? CONFIDENCE.exactHost : CONFIDENCE.patternHost;
      this.hostResults.push(this.result(g.owners, base, 'host', g.name));
      this.hostIndex.add(g.name, g.match, this.hostResults.length - 1);
    }
  }

  private indexProcesses(): void {
    this.list.forEach((tool, t) => {
      for (const p of tool.match.processes ?? []) {
        const rule: ProcessRule = {
          tool: t,
          name: p.name,
          os: p.os ? new Set(p.os) : null,
          pathContains: p.path_contains ? p.path_contains.toLowerCase().replaceAll('\\', '/') : null,
          single: this.result([{ tool: t, shared: false }], CONFIDENCE.process, 'process-name', p.name),
        };
        const key = normaliseProcessName(p.name);
        const list = this.processes.get(key);
        if (list) list.push(rule);
        else this.processes.set(key, [rule]);
      }
      for (const c of tool.match.cmdline ?? []) {
        this.cmdline.push({
          tool: t,
          any: c.interpreters.includes('any'),
          families: new Set(c.interpreters),
          contains: c.contains.toLowerCase().replaceAll('\\', '/'),
          raw: c.contains,
        });
      }
    });
  }

  private indexExtensionsAndPorts(): void {
    const groups = {
      vscode: new Map<string, Owner[]>(),
      jetbrains: new Map<string, Owner[]>(),
      chrome: new Map<string, Owner[]>(),
      edge: new Map<string, Owner[]>(),
      firefox: new Map<string, Owner[]>(),
      tcp: new Map<number, Owner[]>(),
      udp: new Map<number, Owner[]>(),
    };
    const add = <K>(map: Map<K, Owner[]>, key: K, tool: number): void => {
      const list = map.get(key);
      if (!list) map.set(key, [{ tool, shared: false }]);
      else if (!list.some((o) => o.tool === tool)) list.push({ tool, shared: false });
    };
    this.list.forEach((tool, t) => {
      const m = tool.match;
      for (const e of m.vscode_extensions ?? []) add(groups.vscode, e.id.toLowerCase(), t);
      for (const e of m.jetbrains_plugins ?? []) add(groups.jetbrains, e.id, t);
      for (const e of m.browser_extensions ?? []) {
        add(groups[e.browser], e.id, t);
        // Edge installs from the Chrome Web Store too, so chrome ids also answer for edge.
        if (e.browser === 'chrome') add(groups.edge, e.id, t);
      }
      for (const p of m.ports ?? []) add(p.protocol === 'udp' ? groups.udp : groups.tcp, p.port, t);
    });
    const fill = <K>(from: Map<K, Owner[]>, to: Map<K, Classification>, base: number, matcher: string, label: (k: K) => string): void => {
      for (const [key, owners] of from) to.set(key, this.result(owners, base, matcher, label(key)));
    };
    fill(groups.vscode, this.vscode, CONFIDENCE.extension, 'vscode-extension', String);
    fill(groups.jetbrains, this.jetbrains, CONFIDENCE.extension, 'jetbrains-plugin', String);
    fill(groups.chrome, this.chrome, CONFIDENCE.extension, 'browser-extension', String);
    fill(groups.edge, this.edge, CONFIDENCE.extension, 'browser-extension', String);
    fill(groups.firefox, this.firefox, CONFIDENCE.extension, 'browser-extension', String);
    fill(groups.tcp, this.tcp, CONFIDENCE.port, 'port', (p) => `tcp/${p}`);
    fill(groups.udp, this.udp, CONFIDENCE.port, 'port', (p) => `udp/${p}`);
  }

  /**
   * The verdict for an identifier listed by `owners`. Candidates: tools that own it (not
   * `shared`) first, then by status (stable, experimental, deprecated), then by id. The tool is
   * the first candidate. Confidence: `base` for one tool; base x 0.75 when exactly one tool owns
   * it and others share it; base / n otherwise.
   */
  private result(owners: Owner[], base: number, matcher: string, value: string): Classification {
    const byTool = new Map<number, boolean>();
    for (const o of owners) byTool.set(o.tool, (byTool.get(o.tool) ?? false) || !o.shared);
    const ranked = [...byTool.entries()].sort(([ta, oa], [tb, ob]) => {
      if (oa !== ob) return oa ? -1 : 1;
      const a = this.list[ta] as ToolSignature;
      const b = this.list[tb] as ToolSignature;
      return STATUS_RANK[a.status] - STATUS_RANK[b.status] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    const n = ranked.length;
    const ownersCount = ranked.filter(([, own]) => own).length;
    const confidence = n === 1 ? base : ownersCount === 1 ? base * OWNER_SHARE : base / n;
    const candidates = ranked.map(([t]) => (this.list[t] as ToolSignature).id);
    return this.describe((ranked[0] as [number, boolean])[0], candidates, round(confidence), matcher, value);
  }

  private describe(tool: number, candidates: string[], confidence: number, matcher: string, value: string): Classification {
    const sig = this.list[tool] as ToolSignature;
    return Object.freeze({
      tool: sig.id,
      tool_name: sig.name,
      category: sig.category,
      confidence,
      candidates: Object.freeze(candidates) as unknown as string[],
      evidence: Object.freeze({ matcher, value }),
    });
  }
}

function indexIgnoredHosts(ignore: OverrideIgnore): HostIndex | null {
  const hosts = ignore.hosts ?? [];
  if (hosts.length === 0) return null;
  const index = new HostIndex();
  for (const h of hosts) {
    const match = h.match ?? 'exact';
    const name = h.name.toLowerCase().replace(/\.$/, '');
    if (hostPatternProblem(name, match) === null) index.add(name, match, 0);
  }
  return index;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
