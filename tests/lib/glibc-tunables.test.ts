// glibc settings for child processes: merged into GLIBC_TUNABLES without overriding the person's own, and
// (where the kernel offers transparent huge pages) the agent's setting really backs its large typed arrays
// with huge pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { missingTunables, tunablesEnv } from '../../lib/glibc-tunables.ts';
import { AGENT_GLIBC_TUNABLES } from '../../agents/dataset-generator/node-args.ts';
import { SLAB_BYTES } from '../../lib/state-slabs.ts';

const WANT = { 'glibc.malloc.hugetlb': '1' };

void test('a tunable is added to the environment unless it is set there already, with any value', () => {
  assert.deepEqual(tunablesEnv(WANT, {}), { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  assert.deepEqual(tunablesEnv(WANT, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), {
    GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
  });
  assert.deepEqual(tunablesEnv(WANT, { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), {});
  assert.deepEqual(tunablesEnv(WANT, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' }), {});
  assert.deepEqual(tunablesEnv({}, { GLIBC_TUNABLES: 'x=1' }), {});
  assert.deepEqual(missingTunables({ a: '1', b: '2' }, { GLIBC_TUNABLES: 'b=3::junk' }), { a: '1' });
});

/** The kernel's THP mode ('always', 'madvise' or 'never'), or null where it cannot be read. */
function thpMode(): string | null {
  const f = '/sys/kernel/mm/transparent_hugepage/enabled';
  if (!existsSync(f)) return null;
  return /\[(\w+)\]/.exec(readFileSync(f, 'utf8'))?.[1] ?? null;
}

// What the setting is for, checked on this machine's Node and glibc: 256 MB of typed arrays in slabs of the
// agent's slab size (lib/state-slabs.ts), then the child's own count of huge-page-backed anonymous memory.
const PROBE = `
const slabs = [];
for (let i = 0; i < ${(256 * 1024 * 1024) / SLAB_BYTES}; i++) slabs.push(new Float32Array(${SLAB_BYTES / 4}).fill(1));
const m = /AnonHugePages:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8'));
process.stdout.write(String(m ? Number(m[1]) : -1));`;

const mode = thpMode();
void test(
  "with the agent's glibc setting its state slabs get transparent huge pages",
  { skip: mode === null || mode === 'never' ? `transparent huge pages are off here (${mode ?? 'unknown'})` : false },
  () => {
    const base = { ...process.env };
    delete base.NODE_OPTIONS;
    delete base.GLIBC_TUNABLES;
    const hugeKb = (env: NodeJS.ProcessEnv) => Number(execFileSync(process.execPath, ['-e', PROBE], { env }));
    const on = hugeKb({ ...base, ...tunablesEnv(AGENT_GLIBC_TUNABLES, base) });
    assert.ok(on >= 128 * 1024, `${on} kB of huge pages with the setting (256 MB allocated)`);
    // In "madvise" mode nothing else asks for them; in "always" mode the kernel gives them anyway.
    if (mode === 'madvise') assert.ok(hugeKb(base) < on / 4, 'far fewer without it');
  },
);
