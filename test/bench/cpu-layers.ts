import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The parts of a V8 CPU profile this reads (`Profiler.stop`'s result, or a `.cpuprofile` file). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where the main thread's time went, in microseconds per saga, by layer of the stack. */
export interface CpuLayers {
  /** Sampled time that ran JavaScript or native code on its behalf: everything but idle and socket writes. */
  busyUsPerSaga: number;
  /** Wall time inside writev: the syscall, and the time the kernel ran a woken PostgreSQL backend instead of Node. */
  socketWriteWallUsPerSaga: number;
  idleUsPerSaga: number;
  layers: Record<string, number>;
  /** The functions with the most self time, with the layer they count in. */
  topFunctions: { fn: string; layer: string; usPerSaga: number }[];
  /** The profile itself, for Chrome DevTools or any .cpuprofile viewer (see `saveProfile`). */
  file?: string;
}

/** Writes `profile` as `<tmpdir>/sagaworks-bench-profiles/<name>.cpuprofile`; returns the path. */
export function saveProfile(profile: CpuProfile, name: string): string {
  const dir = join(tmpdir(), 'sagaworks-bench-profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

/** Runs `work` under the V8 sampling profiler of this process (the main thread) and returns its profile. */
export async function profiled<T>(work: () => Promise<T>, intervalUs = 200): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

// First match wins; a frame matching none (a Node internal, a native) counts in its nearest caller's layer.
const LAYERS: [string, RegExp][] = [
  ['pg driver (pg, pg-protocol, pg-pool, type parsers)', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+|pgpass)\//],
  ['TypeORM query runner', /node_modules\/(typeorm|@nestjs\/typeorm)\//],
  ['rxjs', /node_modules\/rxjs\//],
  ['Nest core and CQRS buses', /node_modules\/(@nestjs\/(core|common|cqrs)|reflect-metadata)\//],
  ['metrics and logging libraries', /node_modules\/(prom-client|pino[a-z-]*|nestjs-pino|@opentelemetry\/[a-z-]+)\//],
  ['PGlite (WASM PostgreSQL)', /node_modules\/@electric-sql\//],
  ['sagaworks store (rows, batches, prepared statements)', /sagaworks\/dist\/cjs\/persistence\//],
  ['sagaworks transport (outbox, dispatcher, hooks)', /sagaworks\/dist\/cjs\/transport\//],
  ['sagaworks engine (transitions, orchestrator, reply streams)', /sagaworks\/dist\/cjs\/(domain|runtime|definition)\//],
  ['sagaworks other', /sagaworks\/dist\//],
  ['app observability and reliability hooks', /dist\/src\/(observability|reliability)\//],
  ['domain handlers (orders, inventory, payment, shipping)', /dist\/src\/(orders|inventory|payment|shipping|order-fulfillment)\//],
  ['app other', /dist\/src\//],
  ['bench driver', /dist\/test\/bench\//],
  ['other libraries', /node_modules\//],
];

const OWN = new Map([
  ['(garbage collector)', 'garbage collector'],
  ['(program)', 'V8 and Node outside any JS frame'],
]);

function layerOfUrl(url: string): string | undefined {
  if (!url || url.startsWith('node:')) return undefined;
  return LAYERS.find(([, re]) => re.test(url))?.[0];
}

const micro = (us: number, n: number): number => Math.round((us / n) * 10) / 10;

/** Attributes every sample's time to a layer (see LAYERS), per saga of the `n` the profile covers. */
export function cpuLayers(profile: CpuProfile, n: number, top = 15): CpuLayers {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const layerOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = layerOf.get(id);
    if (known) return known;
    const node = byId.get(id);
    const name = node?.callFrame.functionName ?? '';
    const up = parent.get(id);
    const layer = OWN.get(name) ?? layerOfUrl(node?.callFrame.url ?? '') ?? (up === undefined ? 'Node internals' : resolve(up));
    layerOf.set(id, layer);
    return layer;
  };
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const layers = new Map<string, number>();
  const functions = new Map<string, { layer: string; us: number }>();
  let idle = 0;
  let writes = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame?.functionName === '(idle)') idle += us;
    else if (frame?.functionName === 'writev' && !frame.url) writes += us;
    else {
      const layer = resolve(id);
      layers.set(layer, (layers.get(layer) ?? 0) + us);
      const key = `${frame?.functionName || '(anonymous)'} ${(frame?.url ?? '').replace(/^.*\/(node_modules|dist)\//, '')}:${frame?.lineNumber ?? 0}`;
      const f = functions.get(key) ?? { layer, us: 0 };
      f.us += us;
      functions.set(key, f);
    }
  }
  const busy = [...layers.values()].reduce((a, b) => a + b, 0);
  return {
    busyUsPerSaga: micro(busy, n),
    socketWriteWallUsPerSaga: micro(writes, n),
    idleUsPerSaga: micro(idle, n),
    layers: Object.fromEntries([...layers].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, micro(us, n)])),
    topFunctions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, f]) => ({ fn, layer: f.layer, usPerSaga: micro(f.us, n) })),
  };
}
