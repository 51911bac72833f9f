// Writes package.json's `contributes.configuration` and `activationEvents` and the README's settings table from the
// settings table (src/lib/settings.ts), the one place where settings are declared. Run: npm run generate-settings
import * as fs from 'fs';
import * as path from 'path';
import { withGeneratedManifest, withGeneratedSettingsTable } from '../src/lib/settingsDocs';

// Compiled to out/scripts/, two folders below client-vscode/.
const root = path.resolve(__dirname, '..', '..');
const packageJson = path.join(root, 'package.json');
const readme = path.join(root, 'README.md');

const pkg = withGeneratedManifest(JSON.parse(fs.readFileSync(packageJson, 'utf8')));
fs.writeFileSync(packageJson, compactJson(pkg) + '\n');
fs.writeFileSync(readme, withGeneratedSettingsTable(fs.readFileSync(readme, 'utf8')));
console.log(`wrote ${path.relative(process.cwd(), packageJson)} (activationEvents, contributes.configuration) and ${path.relative(process.cwd(), readme)} (settings table)`);

/** JSON with two-space indents, but an object or array that fits in the line on one line (as package.json was written by hand). */
function compactJson(value: unknown, indent = '', prefixLength = 0): string {
  const flat = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');
  if (value === null || typeof value !== 'object' || indent.length + prefixLength + flat.length <= 120) return flat;
  const inner = indent + '  ';
  const items = Array.isArray(value)
    ? value.map((v) => inner + compactJson(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner, JSON.stringify(k).length + 2)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return items.length ? `${open}\n${items.join(',\n')}\n${indent}${close}` : `${open}${close}`;
}
