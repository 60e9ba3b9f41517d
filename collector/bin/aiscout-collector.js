#!/usr/bin/env node
// Installed as a bin before `npm ci`'s prepare step builds dist/, so npm can link it; runs the built CLI.
import '../dist/cli.js';
