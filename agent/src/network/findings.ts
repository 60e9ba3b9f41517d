/** Findings: the JSON line `aiscout-agent pcap` prints, with the catalog's tool for the name. */
import type { Classifier } from '@aiscout/signatures';
import type { NetworkFinding } from './packet.js';

/** A finding with the tool the catalog names for it (null: the name is not an AI tool's). */
export interface ClassifiedFinding extends NetworkFinding {
  tool: string | null;
}

/** The catalog's tool for the finding's name; for a DNS answer, an alias in its chain may match. */
export function toolOf(f: NetworkFinding, classifier: Pick<Classifier, 'classify'>): string | null {
  const direct = classifier.classify({ type: 'host', name: f.name }).tool;
  if (direct !== null || f.cnames === undefined) return direct;
  for (const alias of f.cnames) {
    const tool = classifier.classify({ type: 'host', name: alias }).tool;
    if (tool !== null) return tool;
  }
  return null;
}

export function classifyFinding(f: NetworkFinding, classifier: Pick<Classifier, 'classify'>): ClassifiedFinding {
  return { ...f, tool: toolOf(f, classifier) };
}

/** One JSON line, fields in the documented order. */
export function findingJsonLine(f: ClassifiedFinding): string {
  const line: Record<string, unknown> = {
    ts: f.ts,
    kind: f.kind,
    name: f.name,
    src: f.src,
    dst: f.dst,
    sport: f.sport,
    dport: f.dport,
    transport: f.transport,
    ip: f.ip,
    tool: f.tool,
  };
  if (f.addresses !== undefined) line.addresses = f.addresses;
  if (f.cnames !== undefined) line.cnames = f.cnames;
  if (f.ech !== undefined) line.ech = f.ech;
  return JSON.stringify(line);
}
