'use strict';
// Writes, as one JSON object to OUT, the Zapier app in APP_DIR as Zapier's own tools see it:
//   app             what `require(APP_DIR)` exports, functions encoded the way core's
//                   `definition` command encodes them ($func$<arity>$<uses arguments>$)
//   schemaErrors    zapier-platform-schema's validateAppDefinition (JSON schema and the
//                   functional constraints the JSON schema cannot express)
//   validateErrors  core's `validate` command, i.e. what `zapier validate` runs on the compiled app
//   compileErrors   {source, args} function bodies that do not compile
//   schemaVersion   the version of the installed zapier-platform-schema
// Usage: NODE_ENV=test NODE_PATH=<node_modules> node export.js <app dir> <out.json>
const fs = require('fs');
const path = require('path');

const { createAppHandler } = require('zapier-platform-core');
const cleaner = require('zapier-platform-core/src/tools/cleaner');
const { validateAppDefinition } = require('zapier-platform-schema');
const schemaPackage = require('zapier-platform-schema/package.json');

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

const compileErrors = (value, where, found = []) => {
  if (Array.isArray(value)) {
    value.forEach((item, i) => compileErrors(item, `${where}[${i}]`, found));
  } else if (value && typeof value === 'object') {
    if (typeof value.source === 'string' && Object.keys(value).length <= 2) {
      try {
        new AsyncFunction(...(value.args || ['z', 'bundle']), value.source); // eslint-disable-line no-new
      } catch (err) {
        found.push({ path: where, error: String(err) });
      }
    }
    for (const [key, item] of Object.entries(value)) {
      compileErrors(item, `${where}.${key}`, found);
    }
  }
  return found;
};

const main = async () => {
  const appDir = path.resolve(process.argv[2]);
  const app = require(appDir);
  const handler = createAppHandler(app);
  const validated = await handler({ command: 'validate', bundle: {} });
  const exported = cleaner.recurseCleanFuncs(app);
  fs.writeFileSync(
    process.argv[3],
    JSON.stringify({
      app: exported,
      schemaErrors: validateAppDefinition(exported).errors.map((e) => `${e.property}: ${e.message}`),
      validateErrors: validated.results,
      compileErrors: compileErrors(app, 'app'),
      schemaVersion: schemaPackage.version,
    }),
  );
};

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
