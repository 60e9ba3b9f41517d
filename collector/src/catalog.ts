import { loadCatalog } from '@aiscout/signatures';

/** The catalog's tool ids (policy files are checked against them) and categories (for category rules). */
export function catalogFacts(): { toolIds: Set<string>; toolCategories: Map<string, string>; version: string } {
  const { tools, version } = loadCatalog();
  return { toolIds: new Set(tools.map((t) => t.id)), toolCategories: new Map(tools.map((t) => [t.id, t.category])), version };
}
