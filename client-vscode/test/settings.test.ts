import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Methods } from '../src/lib/protocol';
import {
  changedRestartKeys, needsRestart, readSettings, requestParamsFromSettings, RESTART_KEYS, SETTING_LIST, SETTINGS, toInitializationOptions,
} from '../src/lib/settings';
import { COMMAND_IDS } from '../src/lib/commands';
import {
  activationEvents, contributedConfiguration, README_TABLE_END, README_TABLE_START, settingsMarkdownTable, withGeneratedSettingsTable,
} from '../src/lib/settingsDocs';

const getter = (o: Record<string, unknown>) => (k: string) => o[k];
// Compiled to out/test/: client-vscode is two folders up.
const clientRoot = path.resolve(__dirname, '..', '..');

test('readSettings: defaults', () => {
  const s = readSettings(getter({}));
  for (const spec of SETTING_LIST) assert.deepEqual(s[spec.name], spec.default, spec.key);
  assert.deepEqual(s.languages, ['plaintext', 'markdown']);
  assert.equal(s.hoverUnit, 'paragraph');
  assert.equal(s.headKind, ''); // the server's default kind
  assert.equal(s.limit, 0);
  assert.equal(s.inlineLabels, true);
});

test('readSettings: normalisation per type', () => {
  const t = readSettings(getter({
    languages: [' latex ', 'latex', '', 3, 'markdown'], hoverUnit: 'line', maxTokens: 128.7, limit: -5, 'train.maxEpochs': Number.NaN,
    'train.headKind': ' mlp ', 'train.pooling': 'mean', modelPath: '  /m  ', headPath: 42,
  }));
  assert.deepEqual(t.languages, ['latex', 'markdown']);
  assert.equal(t.hoverUnit, 'line');
  assert.equal(t.maxTokens, 128);
  assert.equal(t.limit, 0);
  assert.equal(t.maxEpochs, 0);
  assert.equal(t.headKind, 'mlp');
  assert.equal(t.pooling, 'mean');
  assert.equal(t.modelPath, '/m');
  assert.equal(t.headPath, '');
  assert.equal(readSettings(getter({ inlineLabels: false })).inlineLabels, false);
  assert.equal(readSettings(getter({ inlineLabels: 'false' })).inlineLabels, true, 'only a boolean is read');
  // A value outside the enum reads as the default ("": the server's default).
  assert.equal(readSettings(getter({ 'train.headKind': 'forest' })).headKind, '');
  assert.equal(readSettings(getter({ 'train.pooling': 'max' })).pooling, '');
  assert.equal(readSettings(getter({ hoverUnit: 'word' })).hoverUnit, 'paragraph');
  // The old keys are not read.
  const old = readSettings(getter({ 'train.head': 'mlp', pooling: 'mean', 'train.limit': 10 }));
  assert.deepEqual([old.headKind, old.pooling, old.limit], ['', '', 0]);
});

test('toInitializationOptions: only set values, paths resolved, no training parameters', () => {
  const s = readSettings(getter({
    modelPath: 'models/m.onnx', headPath: '~/heads/h.bin', dataFolder: '${workspaceFolder}/data', maxTokens: 256,
    'train.pooling': 'mean', 'train.headKind': 'linear', 'train.maxEpochs': 3, limit: 100, 'server.path': '/srv/agnews.dll', languages: ['latex'],
  }));
  const o = toInitializationOptions(s, { workspaceFolder: '/ws', home: '/home/u' });
  assert.deepEqual(o, { modelPath: '/ws/models/m.onnx', headPath: '/home/u/heads/h.bin', dataFolder: '/ws/data', maxTokens: 256, hoverUnit: 'paragraph' });
  assert.deepEqual(toInitializationOptions(readSettings(getter({ hoverUnit: 'line' }))), { hoverUnit: 'line' });
});

test('request params: train gets headKind, pooling, maxEpochs, limit; evaluate gets limit', () => {
  const s = readSettings(getter({ 'train.headKind': 'mlp', 'train.pooling': 'cls-last2', 'train.maxEpochs': 7, limit: 600, modelPath: '/m' }));
  assert.deepEqual(requestParamsFromSettings(Methods.train, s), { headKind: 'mlp', pooling: 'cls-last2', maxEpochs: 7, limit: 600 });
  const passes = readSettings(getter({ 'train.maxPasses': 9 }));
  assert.deepEqual(requestParamsFromSettings(Methods.train, passes), { maxPasses: 9 });
  assert.deepEqual(requestParamsFromSettings(Methods.evaluate, s), { limit: 600 });
  // Unset values are left out, so the server applies its defaults.
  assert.deepEqual(requestParamsFromSettings(Methods.train, readSettings(getter({}))), {});
  assert.deepEqual(requestParamsFromSettings(Methods.evaluate, readSettings(getter({}))), {});
});

test('restart rule: initializationOptions and server start restart, request params and client settings never do', () => {
  for (const spec of SETTING_LIST) assert.equal(needsRestart(spec), spec.goesTo.to === 'serverStart' || spec.goesTo.to === 'initializationOptions', spec.key);
  assert.ok(!RESTART_KEYS.includes('agnews.inlineLabels'), 'inline labels turn on and off without a restart');
  for (const k of ['agnews.server.path', 'agnews.languages', 'agnews.modelPath', 'agnews.headPath', 'agnews.dataFolder', 'agnews.maxTokens', 'agnews.hoverUnit'])
    assert.ok(RESTART_KEYS.includes(k), k);
  for (const k of ['agnews.train.headKind', 'agnews.train.pooling', 'agnews.train.maxEpochs', 'agnews.limit']) assert.ok(!RESTART_KEYS.includes(k), k);
  // A configuration change event answers affectsConfiguration for the changed key and its parents.
  const changed = (keys: string[]) => changedRestartKeys((k) => keys.some((c) => c === k || c.startsWith(k + '.')));
  assert.deepEqual(changed(['agnews.train.pooling', 'agnews.train.headKind', 'agnews.limit', 'agnews.train.maxEpochs']), []);
  assert.deepEqual(changed(['agnews.modelPath']), ['agnews.modelPath']);
  assert.deepEqual(changed(['agnews.server.path', 'agnews.limit']), ['agnews.server.path']);
});

test('every value goes somewhere the server knows and every key is unique', () => {
  const keys = SETTING_LIST.map((s) => s.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const spec of SETTING_LIST) if (spec.goesTo.to === 'requestParams') assert.ok(Object.keys(spec.goesTo.params).length > 0, spec.key);
  assert.deepEqual(SETTINGS.headKind.values, ['', 'hybrid', 'linear', 'mlp', 'hybrid+layers']);
});

test('package.json contributes.configuration is the one generated from the table (npm run generate-settings)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(clientRoot, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.configuration, contributedConfiguration(),
    'package.json and src/lib/settings.ts disagree: run `npm run generate-settings -w client-vscode`');
  const properties = contributedConfiguration().properties;
  assert.deepEqual(properties['agnews.train.headKind'].enum, ['', 'hybrid', 'linear', 'mlp', 'hybrid+layers']);
  assert.equal(properties['agnews.limit'].minimum, 0);
  assert.match(properties['agnews.modelPath'].markdownDescription, /restarts the server/);
  assert.doesNotMatch(properties['agnews.train.pooling'].markdownDescription, /restarts the server/);
  assert.deepEqual(properties['agnews.inlineLabels'], { type: 'boolean', default: true, markdownDescription: SETTINGS.inlineLabels.description });
});

test('package.json activationEvents: the default languages and every command, not onStartupFinished (npm run generate-settings)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(clientRoot, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.activationEvents, activationEvents(),
    'package.json and the settings table or command ids disagree: run `npm run generate-settings -w client-vscode`');
  const events = activationEvents();
  assert.deepEqual(events.filter((e) => e.startsWith('onLanguage:')), ['onLanguage:plaintext', 'onLanguage:markdown']);
  for (const id of Object.values(COMMAND_IDS)) assert.ok(events.includes(`onCommand:${id}`), id);
  assert.ok(!events.includes('onStartupFinished') && !events.includes('*'));
});

test('README settings table is the one generated from the table (npm run generate-settings)', () => {
  const readme = fs.readFileSync(path.join(clientRoot, 'README.md'), 'utf8');
  assert.equal(readme, withGeneratedSettingsTable(readme),
    'README.md and src/lib/settings.ts disagree: run `npm run generate-settings -w client-vscode`');
  const table = settingsMarkdownTable();
  assert.match(table, /\| `agnews\.limit` \| `0` \| `agnews\/train` `limit`, `agnews\/evaluate` `limit` \| no \|/);
  assert.match(table, /\| `agnews\.modelPath` \| `""` \| `initializationOptions\.modelPath` \| yes \|/);
  assert.match(table, /\| `agnews\.inlineLabels` \| `true` \| client only \| no \|/);
  assert.throws(() => withGeneratedSettingsTable('no markers'), /markers/);
  assert.equal(withGeneratedSettingsTable(`a\n${README_TABLE_START}\nold\n${README_TABLE_END}\nb`), `a\n${README_TABLE_START}\n${table}\n${README_TABLE_END}\nb`);
});
