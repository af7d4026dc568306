import { describe, expect, it } from '@jest/globals';
import { cpuLayers, type CpuProfile, profiled } from './cpu-layers';

const frame = (id: number, functionName: string, url: string, children: number[] = []): CpuProfile['nodes'][number] => ({
  id,
  callFrame: { functionName, url, lineNumber: 1 },
  children,
});

// root > handler (app) > query (pg) > writev (native); handler > JSON (native, counts in the handler's layer);
// root > (idle); root > (garbage collector)
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 6, 7]),
    frame(2, 'execute', 'file:///app/dist/src/payment/commands/handlers/process-payment.handler.js', [3, 5]),
    frame(3, 'query', 'file:///app/node_modules/pg/lib/client.js', [4]),
    frame(4, 'writev', ''),
    frame(5, 'stringify', ''),
    frame(6, '(idle)', ''),
    frame(7, '(garbage collector)', ''),
  ],
  samples: [2, 3, 3, 4, 5, 6, 7],
  timeDeltas: [100, 200, 200, 1000, 300, 5000, 50],
};

describe('cpuLayers', () => {
  it("puts each sample's time in the layer of its nearest known frame, per saga, idle and socket writes apart", () => {
    const layers = cpuLayers(PROFILE, 2);
    expect(layers.layers).toEqual({
      'pg driver (pg, pg-protocol, pg-pool, type parsers)': 200,
      'domain handlers (orders, inventory, payment, shipping)': 200,
      'garbage collector': 25,
    });
    expect(layers.busyUsPerSaga).toBe(425);
    expect(layers.idleUsPerSaga).toBe(2500);
    expect(layers.socketWriteWallUsPerSaga).toBe(500);
    expect(layers.topFunctions[0]).toEqual({
      fn: 'query pg/lib/client.js:1',
      layer: 'pg driver (pg, pg-protocol, pg-pool, type parsers)',
      usPerSaga: 200,
    });
  });

  it('profiles real work in this process: the samples cover the time it ran', async () => {
    const { result, profile } = await profiled(() => {
      const until = Date.now() + 60;
      let spins = 0;
      while (Date.now() < until) spins++;
      return Promise.resolve(spins);
    });
    expect(result).toBeGreaterThan(0);
    const sampledUs = profile.timeDeltas.reduce((a, b) => a + b, 0);
    expect(sampledUs).toBeGreaterThan(40_000);
    expect(cpuLayers(profile, 1).busyUsPerSaga).toBeGreaterThan(20_000);
  });
});
