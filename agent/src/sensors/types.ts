import type { SensorHealthCounter } from './health.js';

/** `process.platform` values the sensors know how to read. */
export type Platform = 'linux' | 'darwin' | 'win32';

/** Extension id spaces; the same union the catalog uses (VS Code forks share the vscode ids). */
export type ExtensionEcosystem = 'vscode' | 'jetbrains' | 'chrome' | 'edge' | 'firefox';

/** One user's home folder, and the name the findings in it are attributed to. */
export interface UserHome {
  user: string;
  dir: string;
}

/**
 * A running process as the process sensor saw it. `cmdline` exists only so the classifier glue can
 * match interpreter-hosted tools; it is dropped there and never leaves the agent.
 */
export interface ProcessObservation {
  type: 'process';
  pid: number;
  name: string;
  exe: string | null;
  user: string | null;
  cmdline: string | null;
}

/** An installed IDE or browser extension, found in a user's home. */
export interface ExtensionObservation {
  type: 'extension';
  ecosystem: ExtensionEcosystem;
  id: string;
  version: string | null;
  /** The product it was installed in: vscode, cursor, IntelliJIdea2024.1, chrome, firefox... */
  product: string;
  /** Folder it was found in, relative to the user's home, with '/' separators. */
  location: string;
  user: string;
}

export type SensorObservation = ProcessObservation | ExtensionObservation;

/** What every file-based sensor is given: where to look, as which OS, and where to count. */
export interface HomeSensorOptions {
  homes: UserHome[];
  platform?: Platform;
  health?: SensorHealthCounter;
}

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'darwin' || p === 'win32' ? p : 'linux';
}
