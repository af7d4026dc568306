import { SagaStatus } from '../domain/saga-status.js';
import type { SagaEffect } from './saga-effect.js';

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));
const cause = (e: SagaEffect): string => `${e.step}${e.compensation ? "'s compensation" : ''}`;

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/** Per step, the forward effects' count and sum: what a completed run must match the fault-free run on. */
function forwardTotals(effects: readonly SagaEffect[]): Map<string, { count: number; sum: number }> {
  const totals = new Map<string, { count: number; sum: number }>();
  for (const e of effects.filter((x) => !x.compensation)) {
    const t = totals.get(e.step) ?? { count: 0, sum: 0 };
    totals.set(e.step, { count: t.count + 1, sum: t.sum + e.amount });
  }
  return totals;
}

/**
 * What is wrong with one run's effects, without any check of the user's:
 * - no step (or compensation) makes two effects on one key: a redelivered command must not apply twice;
 * - a compensated saga nets every key to zero: each forward effect undone exactly once, nothing else undone;
 * - a completed saga undid nothing, and each step took effect as in the fault-free run (`baseline`), once.
 */
export function effectProblems(status: SagaStatus, effects: readonly SagaEffect[], baseline?: readonly SagaEffect[]): string[] {
  const problems: string[] = [];
  for (const same of groupBy(effects, (e) => `${cause(e)}\u0000${e.key}`).values()) {
    if (same.length > 1)
      problems.push(
        `${cause(same[0])} took effect ${same.length} times on ${same[0].key} (${same.map((e) => signed(e.amount)).join(', ')}), expected once`,
      );
  }
  if (status === SagaStatus.COMPENSATED) {
    for (const [key, onKey] of groupBy(effects, (e) => e.key)) {
      const net = onKey.reduce((sum, e) => sum + e.amount, 0);
      if (net !== 0) problems.push(`effects on ${key} net ${signed(net)} after compensation, expected 0`);
    }
  }
  if (status === SagaStatus.COMPLETED) {
    for (const e of effects.filter((x) => x.compensation))
      problems.push(`${cause(e)} took effect on ${e.key} (${signed(e.amount)}) in a completed saga`);
    if (baseline) {
      const expected = forwardTotals(baseline);
      const actual = forwardTotals(effects);
      for (const step of new Set([...expected.keys(), ...actual.keys()])) {
        const want = expected.get(step) ?? { count: 0, sum: 0 };
        const got = actual.get(step) ?? { count: 0, sum: 0 };
        if (want.count !== got.count || want.sum !== got.sum)
          problems.push(
            `${step} made ${got.count} effect(s) totalling ${signed(got.sum)}, the fault-free run ${want.count} totalling ${signed(want.sum)}`,
          );
      }
    }
  }
  return problems;
}
