import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultClassifier } from '@aiscout/signatures';
import type { ObservationClassifier } from './detect.js';
import { formatJsonLines, formatTable } from './format.js';
import { scanOnce } from './scan.js';
import type { UserHome } from './sensors/types.js';

export const USAGE = `Usage: aiscout-agent scan --once [--json] [--home DIR ...]

Runs the agent's sensors once on this machine and prints the AI tools found.

  scan --once      scan processes, IDE extensions and browser extensions once, then exit
  --json           print JSON lines (one per detection, one per sensor, a summary) instead of a table
  --home DIR       scan this home folder instead of the user homes found on the machine
                   (repeatable; the folder's name is the user the findings are attributed to)
  -h, --help       show this help

Exit status: 0 after a scan, 2 on a usage error.
`;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The catalog to classify with (default: the bundled signatures). */
  classifier?: ObservationClassifier;
}

class UsageError extends Error {}

function parse(argv: string[]): { help: true } | { help: false; json: boolean; homes: UserHome[] | undefined } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        home: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new UsageError('missing command: scan');
  if (positionals[0] !== 'scan' || positionals.length > 1) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  if (!values.once) throw new UsageError('scan needs --once (the continuous agent is not available yet)');
  const homes = values.home?.map((dir) => {
    const abs = path.resolve(dir);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new UsageError(`--home ${dir}: not a directory`);
    return { user: path.basename(abs), dir: abs };
  });
  return { help: false, json: values.json ?? false, homes };
}

/** The agent command line; returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`aiscout-agent: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  const result = await scanOnce({ classifier: io.classifier ?? defaultClassifier(), homes: args.homes });
  io.stdout(args.json ? formatJsonLines(result) : formatTable(result));
  return 0;
}
