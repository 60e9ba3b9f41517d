import { Batch, BatchAck, EnrollRequest, EnrollResponse, ErrorResponse } from './batch.js';
import { PROTOCOL_VERSION } from './common.js';
import { AgentEvent, Event, ExtensionEvent, NetworkEvent, ProcessEvent, UsageEvent } from './events.js';

/** Plain JSON Schema documents (draft 2020-12) for every wire type, for other languages and tools. */
export function jsonSchemas(): Record<string, object> {
  const all = { Batch, BatchAck, EnrollRequest, EnrollResponse, ErrorResponse, Event, ProcessEvent, ExtensionEvent, UsageEvent, NetworkEvent, AgentEvent };
  const out: Record<string, object> = {};
  for (const [name, schema] of Object.entries(all)) {
    out[name] = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `https://aiscout.dev/schema/v${PROTOCOL_VERSION}/${name}.json`,
      title: name,
      ...JSON.parse(JSON.stringify(schema)),
    };
  }
  return out;
}
