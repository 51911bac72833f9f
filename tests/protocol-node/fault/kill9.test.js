'use strict';
// kill -9 at seeded random points of `agnews train`; after each, the head file must still load.
// Needs a working engine and AGNEWS_NODE_TRAIN_DATA (a labelled file). AGNEWS_KILL_RUNS (5) and
// AGNEWS_KILL_SEED change the run.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { serverCommand, engineAvailable } = require('../lib/server');

const data = process.env.AGNEWS_NODE_TRAIN_DATA;
const RUNS = Number(process.env.AGNEWS_KILL_RUNS || 5);
const SEED = Number(process.env.AGNEWS_KILL_SEED || 9);
const skip = !engineAvailable ? 'AGNEWS_NODE_ENGINE=0' : !data ? 'needs AGNEWS_NODE_TRAIN_DATA' : false;

function cli(args) {
  const { command, args: base } = serverCommand([]);
  return { command, args: [...base.slice(0, base.indexOf('serve')), ...args] };
}

test(`kill -9 during training (${RUNS} seeded points) never leaves a head that does not load`, { skip, timeout: 600000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agnews-kill-'));
  const head = path.join(dir, 'head.json');
  let state = SEED >>> 0;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
  const train = (seed) => cli(['train', '--data', data, '--limit', '300', '--max-passes', '4', '--seed', String(seed), '--head', head, '--quiet']);
  const headLoads = (when) => {
    const { command, args } = cli(['model', 'info', '--head', head, '--json', '--quiet']);
    const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `${when}: model info failed: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).head, head, when);
  };
  try {
    // two whole runs: the first makes the head (and caches the features), the second's length (warm, as the
    // killed runs are) sets the range of the kill points
    let full = 0;
    for (const seed of [1, 2]) {
      const whole = train(seed);
      const started = Date.now();
      const r = spawnSync(whole.command, whole.args, { encoding: 'utf8', timeout: 300000 });
      assert.equal(r.status, 0, r.stderr);
      full = Date.now() - started;
      headLoads(`after whole run ${seed}`);
    }
    const killedAt = [];
    for (let run = 0; run < RUNS; run++) {
      const delay = Math.floor(random() * full * 1.1);
      const { command, args } = train(run + 3);
      const child = spawn(command, args, { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const { signal } = await exited;
      clearTimeout(timer);
      killedAt.push(`${delay} ms${signal ? '' : ' (finished first)'}`);
      headLoads(`after kill -9 at ${delay} ms`);
    }
    console.log(`# kill -9: a whole run took ${full} ms; killed at ${killedAt.join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
