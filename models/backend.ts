// TensorFlow.js backend choice (docs/ARCHITECTURE.md, models/): @tensorflow/tfjs-node when it loads (an optional
// dependency that cannot install without general internet), else @tensorflow/tfjs with the WebAssembly
// backend (its .wasm binaries ship inside the npm package, so no network), else the CPU backend.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  tf: typeof TF;
  backend: BackendName;
}

let chosen: Promise<BackendChoice> | undefined;
const require = createRequire(import.meta.url);

/** The directory holding tfjs-backend-wasm's .wasm files (inside node_modules), or undefined. */
export function wasmBinaryDir(): string | undefined {
  try {
    const main = require.resolve('@tensorflow/tfjs-backend-wasm');
    const dir = dirname(main);
    return existsSync(join(dir, 'tfjs-backend-wasm.wasm')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

async function choose(log: (msg: string) => void): Promise<BackendChoice> {
  try {
    const name = '@tensorflow/tfjs-node';
    const tfNode = (await import(name)) as typeof TF;
    await tfNode.ready();
    log(`TensorFlow.js backend: tensorflow (@tensorflow/tfjs-node)`);
    return { tf: tfNode, backend: 'tensorflow' };
  } catch {
    // not installed here (its install downloads libtensorflow); fall through
  }
  const tf = await import('@tensorflow/tfjs');
  // tfjs 4 prints a hint about tfjs-node at first use; it is expected here.
  const dir = wasmBinaryDir();
  if (dir) {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const sep = dir.endsWith('/') ? '' : '/';
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': `${dir}${sep}tfjs-backend-wasm.wasm`,
        'tfjs-backend-wasm-simd.wasm': `${dir}${sep}tfjs-backend-wasm-simd.wasm`,
        'tfjs-backend-wasm-threaded-simd.wasm': `${dir}${sep}tfjs-backend-wasm-threaded-simd.wasm`,
      });
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        log(`TensorFlow.js backend: wasm (@tensorflow/tfjs-backend-wasm, binaries from ${dir})`);
        return { tf, backend: 'wasm' };
      }
    } catch (err) {
      log(`wasm backend unavailable (${(err as Error).message}); using cpu`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  log('TensorFlow.js backend: cpu');
  return { tf, backend: 'cpu' };
}

/**
 * Picks and initialises the best available backend once per process; logs and returns it.
 * `log` defaults to stderr.
 */
export function selectBackend(log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<BackendChoice> {
  chosen ??= choose(log);
  return chosen;
}
