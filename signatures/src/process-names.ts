import type { Interpreter } from './types.js';

/** Process names compare case-insensitively and without a Windows '.exe'. */
export function normaliseProcessName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.exe') ? lower.slice(0, -4) : lower;
}

/** Base name of an executable path (POSIX or Windows separators), normalised like a process name. */
export function exeBaseName(exe: string): string {
  const cut = Math.max(exe.lastIndexOf('/'), exe.lastIndexOf('\\'));
  return normaliseProcessName(cut >= 0 ? exe.slice(cut + 1) : exe);
}

const PYTHON = /^pythonw?(\d+(\.\d+)*)?[tdmw]*$/;
const JAVA = new Set(['java', 'javaw']);
const NODE = new Set(['node', 'nodejs']);
/** Electron apps: the runtime itself, VS Code-family main/extension-host processes, and macOS helper processes. */
const ELECTRON_NAMES = new Set(['electron', 'code', 'code-insiders', 'code - insiders', 'code-oss', 'code - oss', 'codium', 'vscodium']);
const ELECTRON_HELPER = / helper( \((plugin|renderer|gpu)\))?$/;

/**
 * The interpreter family of a normalised process name, or null for anything else. Command-line
 * markers only apply to processes of their listed family (or to any process with 'any').
 */
export function interpreterOf(name: string): Exclude<Interpreter, 'any'> | null {
  if (NODE.has(name)) return 'node';
  if (name.startsWith('python') && PYTHON.test(name)) return 'python';
  if (name === 'bun') return 'bun';
  if (name === 'deno') return 'deno';
  if (JAVA.has(name)) return 'java';
  if (ELECTRON_NAMES.has(name) || ELECTRON_HELPER.test(name)) return 'electron';
  return null;
}
