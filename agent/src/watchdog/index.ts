export { Watchdog, sampleSelf, type ResourceSample, type WatchdogAction, type WatchdogHealth, type WatchdogLimits } from './watchdog.js';
