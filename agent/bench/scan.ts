// Scan benchmark: builds fake homes with many IDE/browser extensions and JetBrains plugin jars,
// then times one scan of them (and one of the live process table). Prints one JSON object.
//   node --import tsx agent/bench/scan.ts [homes=20]
import path from 'node:path';
import { defaultClassifier } from '@aiscout/signatures';
import { scanOnce } from '../src/scan.js';
import { populateAiHome } from '../test/helpers/ai-home.js';
import { FakeHomes, pluginXml, writeChromeExtension, writeFirefox, writeJetbrainsPlugin, writeVscodeExtension } from '../test/helpers/fake-home.js';

const HOMES = Number(process.argv[2] ?? 20);
const VSCODE_PER_HOME = 60;
const CHROME_PER_PROFILE = 15;
const PROFILES = 3;
const JETBRAINS_PER_HOME = 12;

function chromeId(i: number, j: number): string {
  const alphabet = 'abcdefghijklmnop';
  let s = '';
  let n = i * 1000 + j;
  for (let k = 0; k < 32; k++) {
    s += alphabet[n % 16];
    n = Math.floor(n / 16) + k;
  }
  return s;
}

async function main(): Promise<void> {
  const fake = await FakeHomes.create();
  try {
    const homes = [];
    for (let h = 0; h < HOMES; h++) {
      const home = await fake.home(`user${h}`);
      await populateAiHome(home.dir);
      // A root without extensions.json, so every folder counts (populateAiHome's .vscode has a registry).
      const ext = path.join(home.dir, '.vscode-insiders', 'extensions');
      for (let i = 0; i < VSCODE_PER_HOME; i++) {
        await writeVscodeExtension(ext, `bench.ext${i}-1.0.${i}`, { publisher: 'bench', name: `ext${i}`, version: `1.0.${i}` });
      }
      for (let p = 0; p < PROFILES; p++) {
        const profile = path.join(home.dir, '.config', 'google-chrome', p === 0 ? 'Default' : `Profile ${p}`);
        for (let i = 0; i < CHROME_PER_PROFILE; i++) await writeChromeExtension(profile, chromeId(p, i), `2.${i}`);
      }
      const idea = path.join(home.dir, '.local', 'share', 'JetBrains', 'IntelliJIdea2024.3');
      for (let i = 0; i < JETBRAINS_PER_HOME; i++) {
        await writeJetbrainsPlugin(path.join(idea, `plugin${i}`), `plugin${i}.jar`, pluginXml({ id: `org.bench.plugin${i}`, name: `Plugin ${i}`, version: '1.0' }));
      }
      await writeFirefox(path.join(home.dir, '.mozilla', 'firefox'), [
        { path: 'a.default-release', addons: Array.from({ length: 20 }, (_, i) => ({ id: `addon${i}@bench.example`, version: '1.0' })) },
      ]);
      homes.push(home);
    }
    const classifier = defaultClassifier();
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const files = await scanOnce({ classifier, homes, platform: 'linux', sensors: ['ide-extensions', 'browser-extensions'] });
    const filesMs = performance.now() - t0;
    const t1 = performance.now();
    const procs = await scanOnce({ classifier, homes: [], sensors: ['processes'] });
    const procMs = performance.now() - t1;
    console.log(
      JSON.stringify({
        homes: HOMES,
        extension_observations: files.observations,
        extension_detections: files.detections.length,
        extension_scan_ms: Math.round(filesMs),
        extension_observations_per_s: Math.round(files.observations / (filesMs / 1000)),
        process_observations: procs.observations,
        process_scan_ms: Math.round(procMs),
        rss_growth_mb: Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024),
        errors: files.sensors.concat(procs.sensors).reduce((n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0), 0),
      }),
    );
  } finally {
    await fake.dispose();
  }
}

await main();
