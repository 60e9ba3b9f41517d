import { formatIssues, loadAgentConfig, type ConfigLoadResult } from '../config/index.js';
import { Daemon, type DaemonOptions } from './daemon.js';
import { Logger } from './log.js';

export interface RunOptions extends Partial<Omit<DaemonOptions, 'config' | 'configSource'>> {
  /** How the configuration is loaded (default: loadAgentConfig from the machine's sources). */
  load?: () => Promise<ConfigLoadResult>;
  /** Drain deadline at SIGTERM. */
  drainMs?: number;
  stderr?: (text: string) => void;
}

/**
 * `aiscout-agent run`: loads the configuration, starts the daemon in the foreground and runs until
 * SIGTERM/SIGINT (drain, then exit 0); SIGHUP reloads the configuration. Resolves with the exit status.
 */
export async function runDaemon(options: RunOptions = {}): Promise<number> {
  const load = options.load ?? (() => loadAgentConfig());
  const write = options.stderr ?? ((t: string) => process.stderr.write(t));
  const result = await load();
  const log = options.log ?? new Logger(result.config?.log_level ?? 'info', write);
  if (!result.config) {
    for (const issue of formatIssues(result.issues)) log.fatal('configuration error', { issue });
    log.fatal('no usable configuration and no last good one: not starting', { config_source: result.source });
    return 78; // EX_CONFIG
  }
  const daemon = new Daemon({
    ...options,
    config: result.config,
    configSource: result.source,
    configIssues: formatIssues(result.issues),
    fromLastGood: result.fromLastGood,
    log,
    loadConfig: options.loadConfig ?? load,
  });
  try {
    await daemon.start();
  } catch (err) {
    log.fatal('agent could not start', { error: (err as Error).message });
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onStop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('stopping: draining the spool', { signal });
      daemon.stop(options.drainMs ?? 10_000).then(
        () => resolve(0),
        (err: Error) => {
          log.error('stop failed', { error: err.message });
          resolve(1);
        },
      ).finally(cleanup);
    };
    const onTerm = () => onStop('SIGTERM');
    const onInt = () => onStop('SIGINT');
    const onHup = () => {
      daemon.reload().catch((err: Error) => log.error('reload failed', { error: err.message }));
    };
    const cleanup = () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
}
