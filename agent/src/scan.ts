import type { SensorHealth } from '@aiscout/protocol';
import { DetectionAggregator, type Detection, type ObservationClassifier } from './detect.js';
import { browserExtensions } from './sensors/browser-extensions.js';
import { SensorHealthCounter } from './sensors/health.js';
import { discoverHomes } from './sensors/homes.js';
import { ideExtensions } from './sensors/ide-extensions.js';
import { processes } from './sensors/processes.js';
import { currentPlatform, type Platform, type SensorObservation, type UserHome } from './sensors/types.js';

export const SENSOR_NAMES = ['processes', 'ide-extensions', 'browser-extensions'] as const;
export type SensorName = (typeof SENSOR_NAMES)[number];

export interface ScanOptions {
  classifier: ObservationClassifier;
  /** Homes to read; every user's when privileged, else the current user's. */
  homes?: UserHome[];
  platform?: Platform;
  /** Sensors to run (default: all). */
  sensors?: readonly SensorName[];
}

export interface ScanResult {
  detections: Detection[];
  sensors: SensorHealth[];
  observations: number;
  unmatched: number;
  homes: number;
  catalog_version: string;
  duration_ms: number;
}

function sensorStream(name: SensorName, homes: UserHome[], platform: Platform, health: SensorHealthCounter): AsyncGenerator<SensorObservation> {
  switch (name) {
    case 'processes':
      return processes({ platform, health });
    case 'ide-extensions':
      return ideExtensions({ homes, platform, health });
    case 'browser-extensions':
      return browserExtensions({ homes, platform, health });
  }
}

/** Runs the sensors once, one after the other, and returns the detections and each sensor's health. */
export async function scanOnce(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const platform = options.platform ?? currentPlatform();
  const homes = options.homes ?? (await discoverHomes({ platform }));
  const aggregator = new DetectionAggregator(options.classifier, platform);
  const sensors: SensorHealth[] = [];
  let observations = 0;
  for (const name of options.sensors ?? SENSOR_NAMES) {
    const health = new SensorHealthCounter(name);
    try {
      for await (const obs of sensorStream(name, homes, platform, health)) {
        observations += 1;
        aggregator.add(obs);
      }
    } catch (err) {
      // A sensor bug must not cost the other sensors their turn: count it and move on.
      health.count('other');
      health.disable(`sensor failed: ${(err as Error).message}`.slice(0, 200));
    }
    sensors.push(health.snapshot());
  }
  return {
    detections: aggregator.detections(),
    sensors,
    observations,
    unmatched: aggregator.unmatched,
    homes: homes.length,
    catalog_version: options.classifier.version,
    duration_ms: Math.round(performance.now() - started),
  };
}
