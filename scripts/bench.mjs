// Runs every workspace benchmark (<pkg>/bench/*.ts), each printing one JSON object, and writes
// bench-results/<pkg>-<name>.json plus a combined bench-results/all.json.
//   npm run bench                 all benchmarks
//   npm run bench -- signatures   only those whose path contains "signatures"
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const results = {};
let failed = 0;
for (const pkg of ['protocol', 'signatures', 'agent', 'collector', 'dashboards']) {
  const dir = join(root, pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort()) {
    const path = join(pkg, 'bench', f);
    if (filter && !path.includes(filter)) continue;
    process.stderr.write(`bench: ${path}\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let json;
    try { json = JSON.parse(last); } catch { json = null; }
    if (r.status !== 0 || !json) { failed++; process.stderr.write(`bench: ${path} failed (exit ${r.status})\n`); continue; }
    const key = `${pkg}-${f.replace(/\.ts$/, '')}`;
    results[key] = json;
    writeFileSync(join(out, `${key}.json`), JSON.stringify(json, null, 2) + '\n');
    console.log(`${key}: ${JSON.stringify(json)}`);
  }
}
writeFileSync(join(out, 'all.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
process.exit(failed ? 1 : 0);
