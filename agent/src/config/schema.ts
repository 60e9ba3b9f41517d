import Type, { type Static } from 'typebox';

/**
 * The agent's managed configuration. One schema is the source of the type, the defaults, the
 * validation and the environment variable names (see env.ts); docs/agent-config.md describes it.
 */
const Seconds = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description });
const Path = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description }));
const Flag = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const Ports = (def: number[], description: string) =>
  Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 0, maxItems: 32, default: def, description });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export const AgentConfigSchema = Type.Object(
  {
    collector_url: Type.String({ minLength: 1, maxLength: 2048, description: 'Collector base URL; https, or http to a loopback address' }),
    enrollment_secret: Type.Optional(Type.String({ minLength: 8, maxLength: 4096, description: 'Enrollment secret (or enrollment_secret_file)' })),
    enrollment_secret_file: Path('File holding the enrollment secret'),
    ca_file: Path('PEM CA bundle that signs the collector certificate (default: system trust store)'),
    client_cert_file: Path('PEM client certificate for mTLS (with client_key_file)'),
    client_key_file: Path('PEM private key of client_cert_file'),
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Team or department as the MDM knows it' })),
    intervals: Type.Object(
      {
        processes: Seconds(30, 5, 86_400, 'Process scan interval (s)'),
        extensions: Seconds(3600, 60, 86_400, 'IDE and browser extension scan interval (s)'),
        usage_logs: Seconds(300, 30, 86_400, 'Usage log scan interval (s)'),
        network: Seconds(60, 5, 86_400, 'Network name flush interval (s)'),
        heartbeat: Seconds(300, 30, 86_400, 'Agent health event interval (s)'),
      },
      { additionalProperties: false, default: {} },
    ),
    window_seconds: Seconds(300, 60, 86_400, 'Aggregation window (s): one row per tool, user and evidence per window'),
    spool: Type.Object(
      {
        dir: Path('Spool directory (default: <state_dir>/spool)'),
        max_bytes: Type.Integer({ minimum: 1024 * 1024, maximum: 100 * 1024 * 1024 * 1024, default: 100 * 1024 * 1024, description: 'Spool size bound (bytes)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    state_dir: Path('Agent state: keys, enrollment, last good config (default per OS)'),
    privacy: Type.Object(
      {
        pseudonymize_users: Flag(false, 'Replace user names with a keyed hash (HMAC-SHA256)'),
        pseudonym_key: Type.Optional(Type.String({ minLength: 16, maxLength: 4096, description: 'Key of the user name hash (or pseudonym_key_file)' })),
        pseudonym_key_file: Path('File holding the pseudonym key'),
        hostname: Type.Enum(['keep', 'hash'], { default: 'keep', description: 'Send the hostname as is, or its keyed hash' }),
      },
      { additionalProperties: false, default: {} },
    ),
    sensors: Type.Object(
      {
        processes: Flag(true, 'Running processes'),
        ide_extensions: Flag(true, 'Installed IDE extensions'),
        browser_extensions: Flag(true, 'Installed browser extensions'),
        usage_logs: Flag(true, 'Local usage logs of AI tools (token counts only)'),
        network: Flag(true, 'DNS / TLS SNI / QUIC names (needs capture permission)'),
      },
      { additionalProperties: false, default: {} },
    ),
    network: Type.Object(
      {
        interfaces: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32, description: 'Interfaces to capture on (default: every up, non-loopback interface)' }),
        ),
        dns_ports: Ports([53], 'Resolver ports whose DNS queries and answers are read (UDP and TCP)'),
        tls_ports: Ports([443], 'TCP ports whose TLS ClientHello (SNI) and connection edges (bytes) are read'),
        quic_ports: Ports([443], 'UDP ports whose QUIC Initial packets (SNI) are read'),
        client_data: Type.Enum(['all', 'handshake-start'], { default: 'all', description: 'Client-to-server TLS-port segments captured: all with data, or only those starting a handshake record' }),
        buffer_bytes: Type.Integer({ minimum: 1024 * 1024, maximum: 256 * 1024 * 1024, default: 16 * 1024 * 1024, description: 'Kernel capture buffer per interface (bytes)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    otlp: Type.Object(
      {
        enabled: Flag(true, 'Local OTLP/HTTP receiver for AI tools\' OpenTelemetry exports (loopback only)'),
        port: Type.Integer({ minimum: 1, maximum: 65535, default: 4318, description: 'Port of the OTLP receiver on 127.0.0.1' }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        max_rss_mb: Type.Integer({ minimum: 32, maximum: 4096, default: 128, description: 'Resident memory ceiling (MB)' }),
        max_cpu_percent: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 5, description: 'CPU ceiling (% of one core)' }),
        sustained_seconds: Type.Integer({ minimum: 1, maximum: 3600, default: 6, description: 'How long a ceiling may be exceeded before the agent sheds load' }),
      },
      { additionalProperties: false, default: {} },
    ),
    log_level: Type.Enum([...LOG_LEVELS], { default: 'info', description: 'Log level' }),
  },
  { additionalProperties: false },
);

/** The configuration as validated: defaults applied, secret files not yet read. */
export type AgentConfigInput = Static<typeof AgentConfigSchema>;

/** The configuration the agent runs with: secrets resolved from their files, directories decided. */
export type AgentConfig = Omit<AgentConfigInput, 'enrollment_secret_file' | 'state_dir' | 'spool' | 'privacy'> & {
  enrollment_secret: string;
  state_dir: string;
  spool: { dir: string; max_bytes: number };
  privacy: { pseudonymize_users: boolean; pseudonym_key: string | null; hostname: 'keep' | 'hash' };
};

/** Setting names whose values are secrets: never logged, never quoted in an issue. */
export const SECRET_KEYS = new Set(['enrollment_secret', 'pseudonym_key']);
