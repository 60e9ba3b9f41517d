/**
 * Classifier throughput on one core: `node --import tsx signatures/bench/classify.ts`.
 * Prints one JSON object. Host look-ups run over a realistic mix (about 80% ordinary hosts,
 * 20% AI hosts, some deep subdomains) and are compared with a plain Map.get over the same names.
 */
import { readFileSync } from 'node:fs';
import { compileCatalog, loadCatalog, type Observation } from '../src/index.js';
import { prng as rng } from '../../testing/prng.js';

const catalog = loadCatalog();
const classifier = compileCatalog(catalog.tools, catalog.version);

const r = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const benignHosts = readFileSync(new URL('../test/benign/hosts.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { name: string }).name);
const aiHosts = catalog.tools.flatMap((t) =>
  (t.match.hosts ?? []).map((h) => (h.match === 'wildcard' ? h.name.replace('*', 'us-east-1') : h.match === 'suffix' ? `${pick(['www', 'api', 'cdn', 'a.b.c'])}.${h.name}` : h.name)),
);
const words = ['cdn', 'edge', 'img', 'static', 'api', 'eu-west-1', 'prod', 'assets', 'a1b2c3', 'svc', 'cluster-7', 'ingest'];
function ordinaryHost(): string {
  const k = r();
  if (k < 0.5) return pick(benignHosts);
  // Deep subdomains of ordinary and cloud parents.
  const depth = 1 + Math.floor(r() * 4);
  const labels = Array.from({ length: depth }, () => pick(words));
  return `${labels.join('.')}.${pick(['amazonaws.com', 'googleapis.com', 'cloudfront.net', 'example.com', 'corp.internal', 'akamaiedge.net', 'github.com'])}`;
}
const MIX = 100_000;
// Fresh strings (not the catalog's own objects), built once so the loop measures look-ups only.
const hosts = Array.from({ length: MIX }, () => (r() < 0.2 ? pick(aiHosts) : ordinaryHost()).split('').join(''));
const hostObs: Observation[] = hosts.map((name) => ({ type: 'host', name }));

const map = new Map<string, number>();
catalog.tools.forEach((t, i) => (t.match.hosts ?? []).forEach((h) => map.set(h.name, i)));

const extensionObs: Observation[] = [
  ...readFileSync(new URL('../test/benign/extensions.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Observation),
  ...catalog.tools.flatMap((t) => [
    ...(t.match.vscode_extensions ?? []).map((e): Observation => ({ type: 'extension', ecosystem: 'vscode', id: e.id })),
    ...(t.match.browser_extensions ?? []).map((e): Observation => ({ type: 'extension', ecosystem: e.browser, id: e.id })),
  ]),
];
const processObs: Observation[] = [
  ...readFileSync(new URL('../test/benign/processes.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Observation),
  ...catalog.tools.flatMap((t) => (t.match.processes ?? []).map((p): Observation => ({ type: 'process', name: p.name, exe: `/usr/local/bin/${p.name}` }))),
  ...catalog.tools.flatMap((t) => (t.match.cmdline ?? []).map((c): Observation => ({ type: 'process', name: 'node', exe: '/usr/bin/node', cmdline: `node /usr/lib${c.contains}cli.js` }))),
];

let sink = 0;
/** Best of `rounds` timed passes of about `ms` each: operations per second. */
function measure(rounds: number, ms: number, pass: () => number): number {
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ms) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      ops += pass();
      now = process.hrtime.bigint();
    }
    best = Math.max(best, ops / (Number(now - start) / 1e9));
  }
  return Math.round(best);
}

const hostPass = () => {
  for (let i = 0; i < hostObs.length; i++) if (classifier.classify(hostObs[i] as Observation).tool !== null) sink++;
  return hostObs.length;
};
const mapPass = () => {
  for (let i = 0; i < hosts.length; i++) if (map.get(hosts[i] as string) !== undefined) sink++;
  return hosts.length;
};
const extPass = () => {
  for (const o of extensionObs) if (classifier.classify(o).tool !== null) sink++;
  return extensionObs.length;
};
const procPass = () => {
  for (const o of processObs) if (classifier.classify(o).tool !== null) sink++;
  return processObs.length;
};

// Warm up every path before measuring.
for (let i = 0; i < 5; i++) {
  hostPass();
  mapPass();
  extPass();
  procPass();
}
const hostRate = measure(5, 400, hostPass);
const mapRate = measure(5, 400, mapPass);
const aiShare = hostObs.filter((o) => classifier.classify(o).tool !== null).length / hostObs.length;

process.stdout.write(
  JSON.stringify({
    bench: 'signatures/classify',
    node: process.version,
    catalog_version: catalog.version,
    tools: catalog.tools.length,
    host_patterns: map.size,
    host_mix: { names: MIX, matched_share: Math.round(aiShare * 1000) / 1000 },
    host_lookups_per_s: hostRate,
    map_get_per_s: mapRate,
    host_vs_map_ratio: Math.round((hostRate / mapRate) * 1000) / 1000,
    extension_classifications_per_s: measure(3, 300, extPass),
    process_classifications_per_s: measure(3, 300, procPass),
    goal_host_lookups_per_s: 1_000_000,
    sink: sink > 0,
  }) + '\n',
);
