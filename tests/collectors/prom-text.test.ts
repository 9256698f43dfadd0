// The cAdvisor scanner against the straightforward line-by-line string parser it replaced (kept here as
// the oracle): for generated pages of well-formed, odd and broken lines, both must find the same samples,
// labels, values, timestamps and skipped-line count. One difference is by design: the scanner reads only
// ASCII whitespace as a separator (the format's), where the old parser's trim() also took Unicode spaces,
// so generated pages have those replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePromText, PromTextScanner, type PromSample } from '../../collectors/prom-text.ts';

const NAMES = ['m', 'container_fs_reads_bytes_total', 'container_network_receive_bytes_total', 'other_metric', 'm2'];
const WANTED = new Set(['m', 'container_fs_reads_bytes_total', 'container_network_receive_bytes_total']);
const KEEP = new Set(['namespace', 'pod', 'container', 'interface', '']);

const labelValue = fc.stringMatching(/^([a-z0-9 ,={}#./-]|é|ü|日本|\\\\|\\"|\\n|\\x|\\é)*$/, { maxLength: 12 });
const labelKey = fc.constantFrom('namespace', 'pod', 'container', 'interface', 'id', 'image', ' pod ', '');
const number = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('+Inf', '-Inf', 'NaN', '1e3', '0x10', '', 'abc', '-0', '7'),
);
const space = fc.constantFrom(' ', '  ', '\t', '', '\r', ' \u000b');

const sampleLine = fc
  .record({
    name: fc.constantFrom(...NAMES),
    labels: fc.option(fc.array(fc.tuple(labelKey, labelValue), { maxLength: 5 }), { nil: undefined }),
    sep: space,
    value: number,
    ts: fc.option(fc.oneof(fc.integer({ min: 0, max: 2e12 }).map(String), fc.constantFrom('x', '1.5', '')), { nil: undefined }),
    tail: fc.constantFrom('', '\r', ' ', ' extra'),
    broken: fc.constantFrom('', '', '', 'unclosed', 'noquote', 'trailing-slash'),
  })
  .map(({ name, labels, sep, value, ts, tail, broken }) => {
    let l = '';
    if (labels) {
      const parts = labels.map(([k, v]) => `${k}="${v}"`);
      l = `{${parts.join(',')}${broken === 'unclosed' ? '' : '}'}`;
      if (broken === 'noquote') l = l.replace('="', '=');
      if (broken === 'trailing-slash') l = l.replace(/"}$/, '\\"}');
    }
    return `${name}${l}${sep || (labels ? '' : ' ')}${value}${ts !== undefined ? ` ${ts}` : ''}${tail}`;
  });
const line = fc.oneof(
  { weight: 6, arbitrary: sampleLine },
  { weight: 1, arbitrary: fc.constantFrom('', '# HELP m help', '# TYPE m counter', '   ', ' m 1', '{a="b"} 1', '9m 1', '\r') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

const UNICODE_SPACE = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g;
const page = fc.array(line, { maxLength: 25 }).map((ls) => ls.join('\n').replace(UNICODE_SPACE, 'x'));

function normalise(r: { samples: PromSample[]; skipped: number }) {
  return {
    skipped: r.skipped,
    samples: r.samples.map((s) => ({ ...s, value: Object.is(s.value, -0) ? 0 : s.value })),
  };
}

void test('the scanner finds what the line-by-line parser found: kept labels', () => {
  // The generator makes pages with samples, escapes and malformed lines, not only noise.
  const pages = fc.sample(page, { numRuns: 200, seed: 1 });
  const found = pages.map((text) => referenceParse(text, WANTED, KEEP));
  assert.ok(found.reduce((n, r) => n + r.samples.length, 0) > 100);
  assert.ok(found.reduce((n, r) => n + r.skipped, 0) > 100);
  assert.ok(found.some((r) => r.samples.some((s) => Object.values(s.labels).some((v) => v.includes('"')))));
  fc.assert(
    fc.property(page, (text) => {
      assert.deepStrictEqual(normalise(parsePromText(text, WANTED, KEEP)), normalise(referenceParse(text, WANTED, KEEP)));
    }),
    { numRuns: 3000 },
  );
});

void test('the scanner finds what the line-by-line parser found: every label', () => {
  fc.assert(
    fc.property(page, (text) => {
      assert.deepStrictEqual(normalise(parsePromText(text, WANTED)), normalise(referenceParse(text, WANTED)));
    }),
    { numRuns: 2000 },
  );
});

void test('a body streamed in chunks cut anywhere (mid-line, mid-character) scans as the whole body did', () => {
  const keep = [...KEEP];
  const names = [...WANTED];
  const collect = (run: (scanner: PromTextScanner, onSample: Parameters<PromTextScanner['scan']>[1]) => number) => {
    const samples: PromSample[] = [];
    const scanner = new PromTextScanner(names, keep);
    const skipped = run(scanner, (m, vals, value, timestampMs) => {
      const labels: Record<string, string> = {};
      keep.forEach((k, j) => {
        if (vals[j] !== undefined) labels[k] = vals[j];
      });
      samples.push({ name: names[m]!, labels, value, timestampMs });
    });
    return normalise({ samples, skipped });
  };
  fc.assert(
    fc.property(page, fc.array(fc.nat(), { maxLength: 8 }), (text, cutsAt) => {
      const body = Buffer.from(text, 'utf8');
      const cuts = [...new Set(cutsAt.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
      const whole = collect((s, on) => s.scan(body, on));
      const streamed = collect((s, on) => {
        const st = s.stream(on);
        let from = 0;
        for (const c of [...cuts, body.length]) {
          st.push(body.subarray(from, c));
          from = c;
        }
        return st.end();
      });
      assert.deepStrictEqual(streamed, whole);
    }),
    { numRuns: 2000 },
  );
});

void test('one scanner, many pages: remembered label values come back right, same-length values kept apart', () => {
  // Values are remembered by their bytes (hash, then a byte comparison): 5,000 names of one length, in a
  // different order on each page, must each come back as themselves.
  const scanner = new PromTextScanner(['m'], ['pod', 'namespace']);
  const names = Array.from({ length: 5000 }, (_, i) => `pod-${String(i).padStart(5, '0')}`);
  for (let round = 0; round < 3; round++) {
    const order = round === 1 ? [...names].reverse() : names;
    const body = Buffer.from(order.map((n, i) => `m{namespace="ns${i % 3}",pod="${n}"} ${i}`).join('\n'));
    const got: string[] = [];
    scanner.scan(body, (_m, vals, value) => got.push(`${vals[1]}/${vals[0]} ${value}`));
    assert.deepEqual(
      got,
      order.map((n, i) => `ns${i % 3}/${n} ${i}`),
    );
  }
});

// ---- The previous parser, verbatim: the oracle.

function referenceParse(
  text: string,
  wanted: ReadonlySet<string>,
  keepLabels?: ReadonlySet<string>,
): { samples: PromSample[]; skipped: number } {
  const samples: PromSample[] = [];
  let skipped = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    const nameEnd = metricNameEnd(line);
    if (nameEnd === 0) {
      if (line.trim() !== '') skipped++;
      continue;
    }
    const name = line.slice(0, nameEnd);
    if (!wanted.has(name)) continue;
    const sample = parseSampleLine(line, name, nameEnd, keepLabels);
    if (sample) samples.push(sample);
    else skipped++;
  }
  return { samples, skipped };
}

function metricNameEnd(line: string): number {
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) break;
    i++;
  }
  return i;
}

function parseSampleLine(line: string, name: string, start: number, keep: ReadonlySet<string> | undefined): PromSample | null {
  const labels: Record<string, string> = {};
  let i = start;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq < 0 || line[eq + 1] !== '"') return null;
      const key = line.slice(i, eq).trim();
      i = eq + 2;
      if (keep && !keep.has(key)) {
        // Skip the value: find its closing quote, stepping over escapes.
        for (;;) {
          const q = line.indexOf('"', i);
          if (q < 0) return null;
          let backslashes = 0;
          for (let j = q - 1; j >= i && line.charCodeAt(j) === 92; j--) backslashes++;
          i = q + 1;
          if (backslashes % 2 === 0) break;
        }
        continue;
      }
      const close = line.indexOf('"', i);
      const slash = line.indexOf('\\', i);
      if (close >= 0 && (slash < 0 || slash > close)) {
        labels[key] = line.slice(i, close);
        i = close + 1;
        continue;
      }
      let value = '';
      let chunkStart = i;
      for (;;) {
        if (i >= line.length) return null;
        const c = line[i];
        if (c === '\\') {
          value += line.slice(chunkStart, i);
          const n = line[i + 1];
          value += n === 'n' ? '\n' : (n ?? '');
          i += 2;
          chunkStart = i;
        } else if (c === '"') {
          value += line.slice(chunkStart, i);
          i++;
          break;
        } else i++;
      }
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '') return null;
  const value = parsePromNumber(rest[0]!);
  if (Number.isNaN(value) && rest[0] !== 'NaN') return null;
  let timestampMs: number | undefined;
  if (rest[1] !== undefined) {
    timestampMs = Number(rest[1]);
    if (!Number.isFinite(timestampMs)) return null;
  }
  return { name, labels, value, timestampMs };
}

function parsePromNumber(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
