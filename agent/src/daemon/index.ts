export { Daemon, type DaemonOptions, type DaemonTiming } from './daemon.js';
export { Logger, type LogLevel } from './log.js';
export { runDaemon, type RunOptions } from './run.js';
export { CumulativeHealth, defaultSensors, type DaemonSensor, type IntervalName, type SensorContext, type SensorRun } from './sensors.js';
export { AGENT_VERSION } from './version.js';
