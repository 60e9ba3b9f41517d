#!/usr/bin/env node
// Installed as a bin before `npm ci`'s prepare step builds dist/, so npm can link it; runs the built CLI.
import { runCli } from '../dist/cli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
