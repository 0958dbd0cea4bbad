// Fails loudly when npm scripts would run on a Node.js older than 24: Switchboard
// relies on node:sqlite and on running TypeScript directly (type stripping).
// The `node` devDependency puts Node 24 first on PATH for npm scripts; if this
// fires, run `npm ci` (it installs that Node) and use npm scripts, not bare `node`.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`\nswitchboard: Node.js ${process.versions.node} is running this script, but Node.js >= 24 is required.`);
  console.error('Run `npm ci` so the pinned `node` devDependency is installed, then use `npm start` / `npm test`.\n');
  process.exit(1);
}
