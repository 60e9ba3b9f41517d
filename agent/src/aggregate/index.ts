export { Privacy, type PrivacySettings } from './privacy.js';
export { WindowAggregator, detectionRow } from './window.js';
