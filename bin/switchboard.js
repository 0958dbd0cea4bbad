#!/usr/bin/env node
// Installed entry point. Node strips TypeScript types only outside node_modules, so
// use it from a checkout (`npm link`) or through `npm run switchboard -- …`.
await import('../src/cli/main.ts');
