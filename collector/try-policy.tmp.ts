import { loadPolicy } from './src/policy/index.js';
const known = new Set(['github-copilot','chatgpt','claude-code','lm-studio','cursor','ollama']);
for (const f of process.argv.slice(2)) {
  const r = loadPolicy(`collector/test/fixtures/policy/${f}`, known, { now: new Date('2026-11-22T00:00:00Z') });
  console.log(f, r.policy ? 'LOADED' : 'NULL');
  for (const i of r.issues) console.log('  ', i.code, i.line, i.severity, i.message);
}
