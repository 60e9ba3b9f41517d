import { ParseFailure } from './health.js';

export interface PluginDescriptor {
  id: string;
  version: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function text(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m?.[1]) return null;
  const value = m[1]
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e] ?? '')
    .trim();
  return value.length > 0 && value.length <= 256 ? value : null;
}

/**
 * The plugin id from a JetBrains META-INF/plugin.xml: `<id>`, or `<name>` when there is no id
 * (the platform's own rule). Only the top-level elements matter, and they come before any nested
 * element that could reuse those tag names in practice, so the first occurrence is taken.
 */
export function parsePluginXml(xml: string): PluginDescriptor {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  const root = /<idea-plugin(?:\s[^>]*)?>/.exec(body);
  if (!root) throw new ParseFailure('plugin.xml has no <idea-plugin> root');
  const inner = body.slice(root.index + root[0].length);
  const id = text(inner, 'id') ?? text(inner, 'name');
  if (!id) throw new ParseFailure('plugin.xml has neither <id> nor <name>');
  return { id, version: text(inner, 'version') };
}
