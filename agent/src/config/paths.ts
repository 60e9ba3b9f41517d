import path from 'node:path';
import { POLICY_KEY } from './reg-query.js';

export type ConfigPlatform = 'linux' | 'darwin' | 'win32';

/** The preferences domain a macOS configuration profile's payload targets. */
export const MACOS_DOMAIN = 'com.aiscout.agent';

export interface ConfigPaths {
  /** Candidate configuration files, in order: the first that exists is the one read. */
  files: string[];
  /** Windows policy key read with `reg query`, or null where there is no registry. */
  registryKey: string | null;
  /** Default state directory (keys, enrollment, spool, last good configuration). */
  stateDir: string;
}

export function targetPlatform(p: NodeJS.Platform): ConfigPlatform {
  return p === 'darwin' || p === 'win32' ? p : 'linux';
}

/** Environment lookup; Windows variable names are case-insensitive. */
export function envGetter(platform: ConfigPlatform, env: Record<string, string | undefined>): (name: string) => string | undefined {
  if (platform !== 'win32') return (name) => env[name];
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

export function pathApi(platform: ConfigPlatform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/**
 * Where each OS's management tools put the agent's configuration:
 * - Linux: /etc/aiscout/agent.json, agent.yaml or agent.yml (Ansible, Puppet, Chef, packages)
 * - macOS: the managed preferences written by a configuration profile, then a JSON fallback
 * - Windows: %ProgramData%\aiscout\agent.json, overridden by the Group Policy / Intune policy key
 */
export function defaultPaths(
  platform: ConfigPlatform,
  env: Record<string, string | undefined>,
  privileged: boolean,
  home: string,
): ConfigPaths {
  const get = envGetter(platform, env);
  switch (platform) {
    case 'darwin':
      return {
        files: [`/Library/Managed Preferences/${MACOS_DOMAIN}.plist`, '/Library/Application Support/aiscout/agent.json'],
        registryKey: null,
        stateDir: privileged ? '/Library/Application Support/aiscout/state' : path.posix.join(home, 'Library/Application Support/aiscout/state'),
      };
    case 'win32': {
      const programData = get('ProgramData') ?? 'C:\\ProgramData';
      const localAppData = get('LOCALAPPDATA') ?? path.win32.join(home, 'AppData\\Local');
      return {
        files: [path.win32.join(programData, 'aiscout', 'agent.json')],
        registryKey: POLICY_KEY,
        stateDir: privileged ? path.win32.join(programData, 'aiscout', 'state') : path.win32.join(localAppData, 'aiscout', 'state'),
      };
    }
    default: {
      const xdgState = get('XDG_STATE_HOME') || path.posix.join(home, '.local/state');
      return {
        files: ['/etc/aiscout/agent.json', '/etc/aiscout/agent.yaml', '/etc/aiscout/agent.yml'],
        registryKey: null,
        stateDir: privileged ? '/var/lib/aiscout' : path.posix.join(xdgState, 'aiscout'),
      };
    }
  }
}
