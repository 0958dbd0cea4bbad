#!/usr/bin/env node
// Installed entry point (the container's too). Node strips TypeScript types only outside
// node_modules, so use it from a checkout (`npm link`), through `npm run switchboard -- …`,
// or in the image.
const { run } = await import('../src/cli/main.ts');
const code = await run(process.argv.slice(2));
if (code >= 0) process.exit(code);
