import type { Category, Classification, Observation, SignatureOs } from '@aiscout/signatures';
import type { ExtensionObservation, Platform, ProcessObservation, SensorObservation } from './sensors/types.js';

/** The part of the signature engine the agent needs: one verdict per observation. */
export interface ObservationClassifier {
  classify(obs: Observation): Classification;
  readonly version: string;
}

/**
 * One AI tool found on this machine, aggregated over identical sightings (same tool, user and
 * evidence). Metadata only: never a command line.
 */
export interface Detection {
  kind: 'process' | 'extension';
  tool: string;
  tool_name: string;
  category: Category;
  confidence: number;
  candidates: string[];
  evidence: { matcher: string; value: string };
  /** Process owner, or the user whose home the extension is installed in; 'unknown' when the OS does not say. */
  user: string;
  /** Extensions: folder relative to the user's home. Processes: the executable path on this host. */
  location: string | null;
  version: string | null;
  /** Extensions: vscode / jetbrains / chrome / edge / firefox. */
  ecosystem: string | null;
  /** Extensions: the product they live in (cursor, IntelliJIdea2024.1, brave...). */
  product: string | null;
  /** Extensions: the extension id. Processes: the process name. */
  item: string;
  count: number;
}

export function signatureOs(platform: Platform): SignatureOs {
  return platform === 'win32' ? 'windows' : platform;
}

function toObservation(obs: SensorObservation, os: SignatureOs): Observation {
  if (obs.type === 'process') return { type: 'process', name: obs.name, exe: obs.exe, cmdline: obs.cmdline, os };
  return { type: 'extension', ecosystem: obs.ecosystem, id: obs.id };
}

/**
 * Guards the metadata-only rule at the one place command lines are seen: evidence naming a
 * cmdline marker must be the catalog's marker, not a slice of this process's arguments beyond it.
 */
function safeEvidence(obs: SensorObservation, evidence: { matcher: string; value: string }): { matcher: string; value: string } | null {
  if (obs.type !== 'process' || obs.cmdline === null) return evidence;
  const leaksArgs = evidence.value === obs.cmdline && obs.cmdline !== obs.exe && obs.cmdline !== obs.name;
  return leaksArgs || evidence.value.length > 256 ? null : evidence;
}

function describe(obs: ProcessObservation | ExtensionObservation): Pick<Detection, 'kind' | 'user' | 'location' | 'version' | 'ecosystem' | 'product' | 'item'> {
  if (obs.type === 'process') {
    return { kind: 'process', user: obs.user ?? 'unknown', location: obs.exe, version: null, ecosystem: null, product: null, item: obs.name };
  }
  return { kind: 'extension', user: obs.user, location: obs.location, version: obs.version, ecosystem: obs.ecosystem, product: obs.product, item: obs.id };
}

/**
 * Classifier glue: turns observations into detections, drops everything the catalog does not
 * know (nothing that is not AI leaves the machine) and folds duplicates into one row with a count.
 */
export class DetectionAggregator {
  private readonly rows = new Map<string, Detection>();
  matched = 0;
  unmatched = 0;

  constructor(
    private readonly classifier: ObservationClassifier,
    private readonly platform: Platform,
  ) {}

  add(obs: SensorObservation): void {
    const verdict = this.classifier.classify(toObservation(obs, signatureOs(this.platform)));
    const evidence = verdict.evidence ? safeEvidence(obs, verdict.evidence) : null;
    if (verdict.tool === null || verdict.category === null || evidence === null) {
      this.unmatched += 1;
      return;
    }
    this.matched += 1;
    const d = describe(obs);
    const key = JSON.stringify([d.kind, verdict.tool, d.user, evidence.matcher, evidence.value]);
    const existing = this.rows.get(key);
    if (existing) {
      existing.count += 1;
      existing.version ??= d.version;
      return;
    }
    this.rows.set(key, {
      ...d,
      tool: verdict.tool,
      tool_name: verdict.tool_name ?? verdict.tool,
      category: verdict.category,
      confidence: verdict.confidence,
      candidates: [...verdict.candidates],
      evidence: { matcher: evidence.matcher, value: evidence.value },
      count: 1,
    });
  }

  /** Detections sorted by tool, then user, then evidence, so output is stable. */
  detections(): Detection[] {
    return [...this.rows.values()].sort(
      (a, b) =>
        a.tool.localeCompare(b.tool) ||
        a.user.localeCompare(b.user) ||
        a.evidence.matcher.localeCompare(b.evidence.matcher) ||
        a.evidence.value.localeCompare(b.evidence.value),
    );
  }
}
