import type { McpObservation, McpServerObservation } from './types.js';

/** The ExtensionEvent fields (protocol/src/events.ts) an MCP observation fills. */
export interface McpExtensionFields {
  ecosystem: string;
  item_kind: 'mcp-server';
  extension_id: string;
  version: string | null;
  location: string;
  flags: string[];
}

/**
 * What a server is, across users and files: the package it launches, else the remote host, else
 * the program, else its config name. The config name is the user's choice; the package or host is
 * what security looks up.
 */
export function mcpIdentity(o: McpServerObservation): string {
  return o.package ?? o.host ?? o.command ?? o.name;
}

/**
 * Maps an observation onto the `extension` event's fields (item_kind `mcp-server`): the identity
 * as extension_id and `<file>::<server name>` as location, so one row stays one server in one
 * file. A setting becomes `setting:<key>=<value>`. Transport, scope, env and header names have no
 * wire field yet; they stay on the observation.
 */
export function mcpExtensionFields(o: McpObservation): McpExtensionFields {
  if (o.type === 'agent-setting') {
    return { ecosystem: o.ecosystem, item_kind: 'mcp-server', extension_id: `setting:${o.setting}`.slice(0, 256), version: null, location: o.location.slice(0, 1024), flags: [...o.flags] };
  }
  return {
    ecosystem: o.ecosystem,
    item_kind: 'mcp-server',
    extension_id: mcpIdentity(o).slice(0, 256),
    version: o.version,
    location: `${o.location}::${o.name}`.slice(0, 1024),
    flags: [...o.flags],
  };
}
