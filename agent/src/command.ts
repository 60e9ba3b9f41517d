import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultClassifier } from '@aiscout/signatures';
import type { ObservationClassifier } from './detect.js';
import { formatJsonLines, formatTable } from './format.js';
import { runPcap } from './network/pcap-command.js';
import { runAgentCommand, type AgentCommand } from './daemon/commands.js';
import { isSensorName, scanOnce, SENSOR_NAMES, type SensorName } from './scan.js';
import type { UserHome } from './sensors/types.js';

export const USAGE = `Usage: aiscout-agent scan --once [--json] [--home DIR ...] [--sensors LIST]
       aiscout-agent pcap [--ai-only] [--stats] FILE [FILE ...]
       aiscout-agent run | enroll | status [--json] [--state-dir DIR]

Runs the agent's sensors once on this machine and prints the AI tools found.

  scan --once      scan processes, IDE and browser extensions, AI tools' usage logs (token counts)
                   and MCP server configs once, then exit; usage logs are read from their start and
                   no read position is saved
  --json           print JSON lines (one per detection, usage row, MCP server, agent setting and
                   sensor, then a summary) instead of tables
  --home DIR       scan this home folder instead of the user homes found on the machine
                   (repeatable; the folder's name is the user the findings are attributed to)
  --sensors LIST   comma-separated sensors to run (default all): ${SENSOR_NAMES.join(', ')}
  -h, --help       show this help

  run              the agent daemon in the foreground: sensors on their intervals, spool, delivery to
                   the collector; JSON logs on stderr; SIGTERM drains and exits, SIGHUP reloads the config
  enroll           enroll with the collector now (again, even if enrolled) and print the agent id
  status           configuration source, enrollment, sensors, spool and last delivery of the agent
                   (from its state directory); --json for one JSON object
  --state-dir DIR  status: read this state directory instead of the configured one

  pcap FILE ...    read pcap/pcapng capture files and print one JSON line per DNS query, DNS answer
                   and TLS server name found, with the catalog's tool (null when the name is not AI)
  --ai-only        pcap: print only findings that name an AI tool
  --stats          pcap: after each file, print decoder statistics as a JSON line on stderr

Exit status: 0 after a scan or when every capture was read to its end, 1 when a capture could not
be read (missing, not a capture, damaged: findings before the damage are printed), 2 on a usage error.
run: 0 after a clean stop, 78 when there is no usable configuration. enroll: 0 when enrolled, 1 if not.
`;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The catalog to classify with (default: the bundled signatures). */
  classifier?: ObservationClassifier;
}

class UsageError extends Error {}

type Parsed =
  | { help: true }
  | { help: false; command: 'scan'; json: boolean; homes: UserHome[] | undefined; sensors: SensorName[] | undefined }
  | { help: false; command: 'pcap'; files: string[]; aiOnly: boolean; stats: boolean }
  | { help: false; command: 'agent'; agent: AgentCommand };

function parse(argv: string[]): Parsed {
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
        'ai-only': { type: 'boolean' },
        stats: { type: 'boolean' },
        'state-dir': { type: 'string' },
        sensors: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new UsageError('missing command: scan or pcap');
  if (positionals[0] === 'pcap') {
    for (const other of ['once', 'json', 'home', 'state-dir', 'sensors'] as const) {
      if (values[other] !== undefined) throw new UsageError(`pcap does not take --${other}`);
    }
    if (positionals.length < 2) throw new UsageError('pcap needs at least one capture file');
    return { help: false, command: 'pcap', files: positionals.slice(1), aiOnly: values['ai-only'] ?? false, stats: values.stats ?? false };
  }
  if (values['ai-only'] !== undefined || values.stats !== undefined) throw new UsageError('--ai-only and --stats are pcap options');
  const verb = positionals[0];
  if (verb === 'run' || verb === 'enroll' || verb === 'status') {
    if (positionals.length > 1) throw new UsageError(`${verb} takes no arguments`);
    if (values.once !== undefined || values.home !== undefined) throw new UsageError(`${verb} does not take --once or --home`);
    if (values.sensors !== undefined) throw new UsageError('--sensors is a scan option');
    if (verb !== 'status' && (values.json !== undefined || values['state-dir'] !== undefined)) throw new UsageError(`${verb} does not take --json or --state-dir`);
    const stateDir = values['state-dir'] === undefined ? undefined : path.resolve(values['state-dir']);
    return { help: false, command: 'agent', agent: { verb, json: values.json ?? false, stateDir } };
  }
  if (values['state-dir'] !== undefined) throw new UsageError('--state-dir is a status option');
  if (positionals[0] !== 'scan' || positionals.length > 1) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  if (!values.once) throw new UsageError('scan needs --once (use run for the continuous agent)');
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
  const sensors = values.sensors === undefined ? undefined : parseSensors(values.sensors);
  return { help: false, command: 'scan', json: values.json ?? false, homes, sensors };
}

/** `--sensors a,b,c`: known names only, at least one. */
function parseSensors(list: string): SensorName[] {
  const names = list.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError(`--sensors needs at least one of: ${SENSOR_NAMES.join(', ')}`);
  const unknown = names.filter((n) => !isSensorName(n));
  if (unknown.length > 0) throw new UsageError(`--sensors: unknown sensor ${unknown.join(', ')} (known: ${SENSOR_NAMES.join(', ')})`);
  return [...new Set(names.filter(isSensorName))];
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
  if (args.command === 'agent') return runAgentCommand(args.agent, io);
  if (args.command === 'pcap') {
    return runPcap(args.files, io, { classifier: io.classifier ?? defaultClassifier(), aiOnly: args.aiOnly, stats: args.stats });
  }
  const result = await scanOnce({ classifier: io.classifier ?? defaultClassifier(), homes: args.homes, sensors: args.sensors });
  io.stdout(args.json ? formatJsonLines(result) : formatTable(result));
  return 0;
}
