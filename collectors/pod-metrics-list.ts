// A metrics.k8s.io PodMetricsList read straight from its bytes: per item the namespace, name, sample
// timestamp and the containers' CPU and memory usage summed, and nothing else. At 50,000 pods the list
// is ~19 MB; JSON.parse made a string of it and ~10 objects per pod that lived through the tick, and
// that (with the garbage collection it caused) was the collector's largest cost after cAdvisor. The
// reader checks the whole body is JSON (anything else throws, as JSON.parse would), steps over every
// field it does not need, and interns names and timestamps (the same strings tick after tick).
// Fields of an unexpected type (a number where a string belongs) count as absent; a repeated key's last
// value wins, as in JSON.parse.
import { ByteInterner, FNV_BASIS, FNV_PRIME } from './byte-interner.ts';
import { plainQuantityValue } from '../lib/quantity.ts';
import { parseQuantity } from './k8s-pod.ts';

/** One PodMetrics item: sums over its containers (NaN when a container lacks a usage value). */
export type OnPodMetrics = (
  namespace: string | undefined,
  name: string | undefined,
  timestamp: string | undefined,
  cpuCores: number,
  memoryBytes: number,
) => void;

export class PodMetricsListReader {
  private readonly interned = new ByteInterner();
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** The last string read: its bounds, hash, and whether it holds escapes. */
  private sFrom = 0;
  private sTo = 0;
  private sHash = 0;
  private sEscaped = false;

  /** Calls `onItem` per item of the list in `body`; throws when the body is not JSON. */
  read(body: Buffer, onItem: OnPodMetrics): void {
    this.buf = body;
    this.pos = 0;
    try {
      this.ws();
      if (this.peek() !== OPEN_OBJECT) this.skipValue();
      else if (this.enterObject())
        do {
          if (this.key() === K_ITEMS && this.peek() === OPEN_ARRAY) {
            if (this.enterArray())
              do this.item(onItem);
              while (this.nextElement());
          } else this.skipValue();
        } while (this.nextMember());
      this.ws();
      if (this.pos !== this.buf.length) this.fail('data after the JSON value');
    } finally {
      this.buf = Buffer.alloc(0);
    }
  }

  // The reader pulls: enterObject / key / nextMember and enterArray / nextElement walk a value in place,
  // so no closure is made per object (with closures the reader made ~750 bytes of garbage per item).

  private item(onItem: OnPodMetrics): void {
    if (this.peek() !== OPEN_OBJECT) return this.skipValue();
    let namespace: string | undefined;
    let name: string | undefined;
    let timestamp: string | undefined;
    let cpu = 0;
    let mem = 0;
    if (this.enterObject())
      do {
        const key = this.key();
        if (key === K_METADATA) {
          namespace = name = undefined;
          if (this.peek() !== OPEN_OBJECT) this.skipValue();
          else if (this.enterObject())
            do {
              const k = this.key();
              if (k === K_NAME) name = this.stringOrSkip();
              else if (k === K_NAMESPACE) namespace = this.stringOrSkip();
              else this.skipValue();
            } while (this.nextMember());
        } else if (key === K_TIMESTAMP) timestamp = this.stringOrSkip();
        else if (key === K_CONTAINERS) {
          cpu = mem = 0;
          if (this.peek() !== OPEN_ARRAY) this.skipValue();
          else if (this.enterArray())
            do {
              if (this.peek() !== OPEN_OBJECT) {
                this.skipValue(); // not a container: adds nothing
                continue;
              }
              let c = NaN;
              let m = NaN;
              if (this.enterObject())
                do {
                  if (this.key() !== K_USAGE) {
                    this.skipValue();
                    continue;
                  }
                  c = m = NaN;
                  if (this.peek() !== OPEN_OBJECT) this.skipValue();
                  else if (this.enterObject())
                    do {
                      const u = this.key();
                      if (u === K_CPU) c = this.quantity();
                      else if (u === K_MEMORY) m = this.quantity();
                      else this.skipValue();
                    } while (this.nextMember());
                } while (this.nextMember());
              cpu += c;
              mem += m;
            } while (this.nextElement());
        } else this.skipValue();
      } while (this.nextMember());
    onItem(namespace, name, timestamp, cpu, mem);
  }

  /** Steps into an object (cursor on its "{"): true when a member follows, false after an empty one. */
  private enterObject(): boolean {
    this.pos++; // {
    this.ws();
    if (this.peek() !== CLOSE_OBJECT) return true;
    this.pos++;
    return false;
  }

  /** A member's key and colon, leaving the cursor on its value: the key's K_ id, or -1 for any other key. */
  private key(): number {
    this.ws();
    if (this.peek() !== QUOTE) this.fail('an object key');
    this.string();
    const id = this.keyId();
    this.ws();
    if (this.buf[this.pos] !== COLON) this.fail('":"');
    this.pos++;
    this.ws();
    return id;
  }

  /** After a member's value: true when another member follows, false past the object's "}". */
  private nextMember(): boolean {
    return this.more(CLOSE_OBJECT);
  }

  /** Steps into an array (cursor on its "["): true when an element follows, false after an empty one. */
  private enterArray(): boolean {
    this.pos++; // [
    this.ws();
    if (this.peek() === CLOSE_ARRAY) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** After an element: true when another follows, false past the array's "]". */
  private nextElement(): boolean {
    return this.more(CLOSE_ARRAY);
  }

  /** After a member or element: true past a "," (and the space after it), false past `close`. */
  private more(close: number): boolean {
    this.ws();
    const c = this.buf[this.pos++];
    if (c === close) return false;
    if (c !== COMMA) this.fail(close === CLOSE_OBJECT ? '"," or "}"' : '"," or "]"');
    this.ws();
    return true;
  }

  /** Which of KEYS the last string read is (escaped keys decoded first), or -1. */
  private keyId(): number {
    if (this.sEscaped) return KEYS.indexOf(this.text());
    const n = this.sTo - this.sFrom;
    for (let k = 0; k < KEYS.length; k++) {
      if (KEY_HASHES[k] !== this.sHash || KEY_BYTES[k]!.length !== n) continue;
      if (this.buf.compare(KEY_BYTES[k]!, 0, n, this.sFrom, this.sTo) === 0) return k;
    }
    return -1;
  }

  private skipValue(): void {
    const c = this.peek();
    if (c === OPEN_OBJECT) {
      if (this.enterObject())
        do {
          this.key();
          this.skipValue();
        } while (this.nextMember());
    } else if (c === OPEN_ARRAY) {
      if (this.enterArray())
        do this.skipValue();
        while (this.nextElement());
    } else if (c === QUOTE) this.string();
    else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) this.number();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) this.fail('a JSON value');
  }

  /** A string value's text, or undefined (after stepping over it) for any other value. */
  private stringOrSkip(): string | undefined {
    if (this.peek() !== QUOTE) {
      this.skipValue();
      return undefined;
    }
    this.string();
    return this.text();
  }

  /** A usage value: a quantity string ("250m", "512Ki"; the plain form read from the bytes) or a number; NaN for anything else. */
  private quantity(): number {
    const c = this.peek();
    if (c === QUOTE) {
      this.string();
      if (this.sEscaped) return parseQuantity(this.text());
      return plainQuantityValue(this.buf, this.sFrom, this.sTo) ?? parseQuantity(this.buf.toString('latin1', this.sFrom, this.sTo));
    }
    if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      const from = this.pos;
      this.number();
      return parseQuantity(Number(this.buf.toString('latin1', from, this.pos)));
    }
    this.skipValue();
    return NaN;
  }

  /** Steps over a string (cursor on its opening quote), noting its bounds and hash. */
  private string(): void {
    const buf = this.buf;
    let i = this.pos + 1;
    let h = FNV_BASIS;
    let escaped = false;
    for (;;) {
      if (i >= buf.length) this.fail('the end of a string');
      const c = buf[i]!;
      if (c === QUOTE) break;
      if (c < 0x20) this.fail('no control character in a string');
      if (c === BACKSLASH) {
        escaped = true;
        const e = buf[i + 1];
        if (e === LOWER_U) {
          for (let k = 2; k < 6; k++) if (!isHex(buf[i + k])) this.fail('four hex digits after \\u');
          i += 6;
        } else if (e !== undefined && SIMPLE_ESCAPES.includes(e)) i += 2;
        else this.fail('a JSON escape');
        continue;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    this.sFrom = this.pos + 1;
    this.sTo = i;
    this.sHash = h;
    this.sEscaped = escaped;
    this.pos = i + 1;
  }

  /** The last string read, decoded: interned when plain, through JSON.parse when it holds escapes. */
  private text(): string {
    if (!this.sEscaped) return this.interned.get(this.buf, this.sFrom, this.sTo, this.sHash);
    return JSON.parse(this.buf.toString('utf8', this.sFrom - 1, this.sTo + 1)) as string;
  }

  /** Steps over a number, checking JSON's grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
  private number(): void {
    const buf = this.buf;
    let i = this.pos;
    if (buf[i] === MINUS) i++;
    if (buf[i] === DIGIT_0) i++;
    else if (isDigit(buf[i])) while (isDigit(buf[i])) i++;
    else this.fail('a digit');
    if (buf[i] === DOT) {
      i++;
      if (!isDigit(buf[i])) this.fail('a digit after "."');
      while (isDigit(buf[i])) i++;
    }
    if (buf[i] === LOWER_E || buf[i] === UPPER_E) {
      i++;
      if (buf[i] === PLUS || buf[i] === MINUS) i++;
      if (!isDigit(buf[i])) this.fail('an exponent');
      while (isDigit(buf[i])) i++;
    }
    this.pos = i;
  }

  private literal(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.buf[this.pos + k] !== word.charCodeAt(k)) return false;
    this.pos += word.length;
    return true;
  }

  private ws(): void {
    const buf = this.buf;
    let i = this.pos;
    for (let c = buf[i]; c === 32 || c === 10 || c === 13 || c === 9; c = buf[++i]);
    this.pos = i;
  }

  private peek(): number {
    return this.buf[this.pos] ?? -1;
  }

  private fail(expected: string): never {
    throw new SyntaxError(`not JSON: expected ${expected} at byte ${this.pos}`);
  }
}

/** The keys the reader looks for (K_ ids index this list), as bytes and FNV-1a hashes. */
const KEYS = ['items', 'metadata', 'name', 'namespace', 'timestamp', 'containers', 'usage', 'cpu', 'memory'];
const [K_ITEMS, K_METADATA, K_NAME, K_NAMESPACE, K_TIMESTAMP, K_CONTAINERS, K_USAGE, K_CPU, K_MEMORY] = KEYS.map((_, i) => i);
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'utf8'));
const KEY_HASHES = KEY_BYTES.map((b) => b.reduce((h, c) => Math.imul(h ^ c, FNV_PRIME), FNV_BASIS));

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= DIGIT_0 && c <= DIGIT_9) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70));
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= DIGIT_0 && c <= DIGIT_9;
}

const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const LOWER_U = 117;
/** The characters after a backslash that make a two-character escape: " \ / b f n r t */
const SIMPLE_ESCAPES = [34, 92, 47, 98, 102, 110, 114, 116];
