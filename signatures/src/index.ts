/** @aiscout/signatures: the tool catalog, its loader and the matcher. No OS or network code. */
import { compileCatalog, type Classifier } from './classifier.js';
import { loadCatalog } from './loader.js';
import { readCatalogBundle } from './bundle.js';

export * from './types.js';
export { loadCatalog, loadToolFile, BUNDLED_TOOLS_DIR, type LoadedCatalog } from './loader.js';
export { compileCatalog, NO_MATCH, CONFIDENCE, OWNER_SHARE, type Classifier, type CompileOptions } from './classifier.js';
export { loadOverrides, applyOverrides, checkOverrides, OVERRIDES_SCHEMA } from './overrides.js';
export { normaliseHost, hostPatternProblem } from './hostname.js';
export { MULTI_TENANT_PARENTS, hostBreadthProblem } from './host-policy.js';
export { catalogVersion, canonicalJson } from './canonical.js';
export { parseObservation } from './observation.js';
export { writeCatalogBundle, readCatalogBundle, BUNDLE_FILE } from './bundle.js';

let cached: Classifier | undefined;

/**
 * The bundled catalog, compiled once per process: from the build-time bundle (dist/catalog.json) when
 * it matches the tools folder, else from the YAML files. Files with issues are left out (see
 * `aiscout catalog check`).
 */
export function defaultClassifier(): Classifier {
  if (!cached) {
    const { tools, version } = readCatalogBundle() ?? loadCatalog();
    cached = compileCatalog(tools, version);
  }
  return cached;
}
