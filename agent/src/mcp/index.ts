export { mcpServers, type McpSensorOptions } from '../sensors/mcp-servers.js';
export { HOST_TOOL, appDataDir, managedSources, projectSources, userSources, type ConfigSource } from './locations.js';
export { launchFacts, commandBasename, type LaunchFacts } from './launcher.js';
export { MCP_LIMITS, parseConfig, readConfig, type ConfigFormat } from './read-config.js';
export { argsHaveSecret, isLiteralSecret, isSecretName, looksLikeToken, urlHasSecret } from './secrets.js';
export { normalizeServer, type EntryContext } from './server-entry.js';
export { isLoopbackHost, transportFromUrl, urlFacts } from './url.js';
export { mcpExtensionFields, mcpIdentity, type McpExtensionFields } from './event-fields.js';
export {
  MCP_FLAGS,
  MCP_HOSTS,
  type AgentSettingObservation,
  type McpFlag,
  type McpHost,
  type McpObservation,
  type McpScope,
  type McpServerObservation,
  type McpTransport,
  type PackageEcosystem,
} from './types.js';
