'use strict';
// Scale-out (docs/scale-out.md): three `agnews label --shard i/3` processes side by side over a folder of 3,000 files,
// merged with `agnews label --merge`, give byte for byte the file one unsharded run writes; no file is in two parts;
// a shard killed with -9 midway leaves no part, the merge refuses the incomplete set, and that shard rerun alone
// completes it. The same for CSV on a smaller folder. Needs a working engine (the model and a head). Every run
// has --threads 1: shards side by side on one box each take a core, and a text's last digits depend on the thread
// count, so the unsharded run must have the same (docs/scale-out.md).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serverCommand, engineAvailable } = require('../lib/server');

const skip = !engineAvailable ? 'AGNEWS_NODE_ENGINE=0' : false;
const FILES = Number(process.env.AGNEWS_SHARD_FILES || 3000);

function cli(args) {
  const { command, args: base } = serverCommand([]);
  return { command, args: [...base.slice(0, base.indexOf('serve')), ...args] };
}

const ONE_THREAD = ['--threads', '1'];

function run(args, timeout = 300000) {
  const { command, args: full } = cli(args);
  const r = spawnSync(command, full, { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command in the background; resolves with its exit code, signal and stderr. */
function start(args) {
  const { command, args: full } = cli(args);
  const child = spawn(command, full, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr: () => stderr })));
  return { child, exited, stderr: () => stderr };
}

// Short texts of four topics, each a little different, so that the labels vary and no two files are alike.
const TOPICS = [
  ['The prime minister', 'Rebel troops', 'The United Nations', 'Peace envoys'], ['met leaders in', 'signed a truce in', 'called for elections in', 'left'],
  ['The striker', 'The home team', 'The tennis champion', 'The coach'], ['won the final in', 'scored twice in', 'lost the match in', 'beat rivals in'],
  ['Shares of the bank', 'Oil prices', 'The retailer', 'Investors'], ['fell sharply in', 'rose on news from', 'cut jobs in', 'bought bonds in'],
  ['The software maker', 'NASA scientists', 'The chip company', 'Researchers'], ['released an update in', 'launched a probe from', 'unveiled a processor in', 'found a flaw in'],
];
const PLACES = ['Geneva', 'London', 'Tokyo', 'Nairobi', 'Lima', 'Oslo', 'Denver', 'Seoul', 'Cairo', 'Perth', 'Madrid'];

function makeFolder(root, count) {
  for (let i = 0; i < count; i++) {
    const topic = i % 4;
    const text = `${TOPICS[topic * 2][(i >> 2) % 4]} ${TOPICS[topic * 2 + 1][(i >> 4) % 4]} ${PLACES[i % PLACES.length]} on day ${i}.\n`;
    const folder = i % 5 === 0 ? root : path.join(root, `desk-${i % 7}`, i % 3 === 0 ? 'late' : 'early');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `story ${String(i).padStart(5, '0')}.${i % 9 === 0 ? 'md' : 'txt'}`), text);
  }
}

/** The "file" of each JSONL row, or the first cell of each CSV record (the test's files have no commas or quotes). */
function filesOf(part, format) {
  const text = fs.readFileSync(part, 'utf8');
  if (format === 'jsonl') return text.split('\n').filter(Boolean).map((l) => JSON.parse(l).file);
  return text.split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
}

async function shardsSideBySide(folder, out, format, count) {
  const started = Date.now();
  const runs = [];
  for (let i = 0; i < count; i++) {
    runs.push(start(['label', folder, '--recursive', '--format', format, '--shard', `${i}/${count}`, '--out', path.join(out, `part-${i}.${format}`), '--quiet', ...ONE_THREAD]));
  }
  const results = await Promise.all(runs.map((r) => r.exited));
  results.forEach((r, i) => assert.equal(r.code, 0, `shard ${i}/${count}: ${r.stderr()}`));
  return Date.now() - started;
}

function merge(out, format, count, to) {
  const parts = Array.from({ length: count }, (_, i) => path.join(out, `part-${i}.${format}`));
  return run(['label', '--merge', ...parts, '--out', to]);
}

test(`${FILES} files in 3 shard processes side by side merge to one run's output; a shard killed with -9 and rerun completes the set`,
  { skip, timeout: 900000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-shards-'));
    const folder = path.join(dir, 'news');
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    try {
      makeFolder(folder, FILES);
      const whole = path.join(dir, 'whole.jsonl');
      let started = Date.now();
      const one = run(['label', folder, '--recursive', '--format', 'jsonl', '--out', whole, '--json', '--quiet', ...ONE_THREAD]);
      const wholeMs = Date.now() - started;
      assert.equal(one.code, 0, one.stderr);
      const summary = JSON.parse(one.stdout);
      assert.equal(summary.filesLabeled, FILES);

      const shardsMs = await shardsSideBySide(folder, out, 'jsonl', 3);
      const merged = path.join(dir, 'merged.jsonl');
      const m = merge(out, 'jsonl', 3, merged);
      assert.equal(m.code, 0, m.stderr);
      assert.ok(fs.readFileSync(merged).equals(fs.readFileSync(whole)), 'the merged file is byte for byte the unsharded one');
      const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).sort();
      assert.deepEqual(lines(merged), lines(whole), 'the same rows');

      // Every file in exactly one part, and each part's files are its shard's.
      const seen = new Map();
      for (let i = 0; i < 3; i++) {
        for (const file of filesOf(path.join(out, `part-${i}.jsonl`), 'jsonl')) {
          assert.ok(!seen.has(file), `${file} is in part ${seen.get(file)} and part ${i}`);
          seen.set(file, i);
        }
        const manifest = JSON.parse(fs.readFileSync(path.join(out, `part-${i}.jsonl.shard.json`), 'utf8'));
        assert.equal(manifest.shard, i);
        assert.equal(manifest.shards, 3);
      }
      assert.equal(seen.size, FILES);
      console.log(`# shards: ${FILES} files: one run ${(wholeMs / 1000).toFixed(1)} s (${summary.seconds.toFixed(1)} s labelling, ` +
        `${(FILES / summary.seconds).toFixed(0)} files/s), 3 shards side by side ${(shardsMs / 1000).toFixed(1)} s on ${os.cpus().length} cores; ` +
        `parts ${[0, 1, 2].map((i) => [...seen.values()].filter((s) => s === i).length).join(' + ')} files`);

      // kill -9 shard 1 midway, after removing its part: once its progress says it has started labelling (the model is
      // loaded, the files are listed), 40 % of a third of the unsharded run's labelling time later; no part is left behind.
      const part1 = path.join(out, 'part-1.jsonl');
      fs.rmSync(part1);
      fs.rmSync(`${part1}.shard.json`);
      const killed = start(['label', folder, '--recursive', '--format', 'jsonl', '--shard', '1/3', '--out', part1, ...ONE_THREAD]);
      const deadline = Date.now() + 300000;
      while (!/labelling: 0\/\d+/.test(killed.stderr()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.match(killed.stderr(), /labelling: 0\//, 'the shard started labelling');
      await new Promise((resolve) => setTimeout(resolve, summary.seconds * 1000 / 3 * 0.4));
      killed.child.kill('SIGKILL');
      const { signal } = await killed.exited;
      assert.equal(signal, 'SIGKILL', `the shard was still running when killed: ${killed.stderr()}`);
      assert.ok(!fs.existsSync(part1), 'a killed shard leaves no part');
      assert.ok(!fs.existsSync(`${part1}.shard.json`), 'nor a manifest');
      const incomplete = merge(out, 'jsonl', 3, path.join(dir, 'incomplete.jsonl'));
      assert.equal(incomplete.code, 1);
      assert.match(incomplete.stderr, /part-1\.jsonl/);
      assert.ok(!fs.existsSync(path.join(dir, 'incomplete.jsonl')));

      started = Date.now();
      const rerun = run(['label', folder, '--recursive', '--format', 'jsonl', '--shard', '1/3', '--out', part1, '--quiet', ...ONE_THREAD]);
      assert.equal(rerun.code, 0, rerun.stderr);
      const complete = path.join(dir, 'complete.jsonl');
      const again = merge(out, 'jsonl', 3, complete);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(fs.readFileSync(complete).equals(fs.readFileSync(whole)), 'the rerun shard completes the set, byte for byte');
      console.log(`# shards: shard 1/3 rerun alone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('CSV: shards side by side merge to one run\'s CSV with one header', { skip, timeout: 600000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-shards-csv-'));
  const folder = path.join(dir, 'news');
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  try {
    makeFolder(folder, 300);
    const whole = path.join(dir, 'whole.csv');
    const one = run(['label', folder, '--recursive', '--paragraphs', '--out', whole, '--quiet', ...ONE_THREAD]);
    assert.equal(one.code, 0, one.stderr);
    const parts = [0, 1, 2].map((i) => start(['label', folder, '--recursive', '--paragraphs', '--shard', `${i}/3`, '--out', path.join(out, `part-${i}.csv`), '--quiet', ...ONE_THREAD]));
    (await Promise.all(parts.map((p) => p.exited))).forEach((r, i) => assert.equal(r.code, 0, `shard ${i}: ${r.stderr()}`));
    const merged = path.join(dir, 'merged.csv');
    const m = merge(out, 'csv', 3, merged);
    assert.equal(m.code, 0, m.stderr);
    assert.ok(fs.readFileSync(merged).equals(fs.readFileSync(whole)), 'the merged CSV is byte for byte the unsharded one');
    const header = fs.readFileSync(whole, 'utf8').split('\r\n')[0];
    assert.equal(fs.readFileSync(merged, 'utf8').split('\r\n').filter((l) => l === header).length, 1, 'one header');
    const files = [0, 1, 2].flatMap((i) => [...new Set(filesOf(path.join(out, `part-${i}.csv`), 'csv'))]);
    assert.equal(new Set(files).size, files.length, 'no file in two parts');
    assert.equal(files.length, 300);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
