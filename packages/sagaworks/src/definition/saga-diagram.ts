import { formatDuration } from './format-duration.js';
import type { SagaDefinition, SagaStepDefinition } from './saga-definition.js';

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const events = (types: readonly { name: string }[] | undefined) => (types ?? []).map((t) => t.name).join(' / ');
const canUndo = (s: SagaStepDefinition<unknown>): boolean =>
  s.parallel ? s.parallel.some((b) => canUndo(b)) : (!!s.compensation || !!s.observed) && !s.nonCompensable;

function label(step: SagaStepDefinition<unknown>): string {
  if (step.observed)
    return `${step.name}: ${step.observed.participant ? `${step.observed.participant} raises ` : ''}${events(step.completedBy)}`;
  if (step.wait)
    return `${step.name}: waits${step.wait.signal ? ` for signal ${step.wait.signal}` : ''} (${formatDuration(step.wait.timeoutMs)})`;
  if (step.childSaga) return `${step.name}: child saga ${step.childSaga}`;
  if (step.command) return `${step.name}: ${step.command.type.name}`;
  return `${step.name}: (done at start)`;
}

/**
 * A definition as a Mermaid state diagram: the forward path (a parallel stage as a fork and a join), where each
 * failure turns into compensation, and the compensations in reverse. Render it with any Mermaid viewer (GitHub
 * renders it in Markdown).
 */
export function renderSagaDiagram(definition: SagaDefinition<unknown>): string {
  const lines = ['stateDiagram-v2'];
  const steps = definition.steps;
  const undo = (i: number) => `undo_${id(steps[i].name)}`;
  /** Where the saga enters step `i`, and where it leaves it (a stage's fork and join). */
  const entry = (i: number) => (i >= steps.length ? 'Completed' : steps[i].parallel ? `fork_${id(steps[i].name)}` : id(steps[i].name));
  const exit = (i: number) => (steps[i].parallel ? `join_${id(steps[i].name)}` : id(steps[i].name));
  /** Where compensation starts when the step at `index` fails: the nearest earlier step that can be undone. */
  const compensationFrom = (index: number, includeSelf: boolean): string => {
    for (let i = includeSelf ? index : index - 1; i >= 0; i--) if (canUndo(steps[i])) return undo(i);
    return 'Compensated';
  };
  for (const [i, step] of steps.entries()) {
    if (step.parallel) {
      lines.push(`  state fork_${id(step.name)} <<fork>>`, `  state join_${id(step.name)} <<join>>`);
      for (const b of step.parallel) lines.push(`  state "${label(b)}" as ${id(b.name)}`);
      if (canUndo(step)) lines.push(`  state "undo ${step.name}: its completed branches, latest first" as ${undo(i)}`);
      continue;
    }
    lines.push(`  state "${label(step)}" as ${id(step.name)}`);
    const undoneBy = step.observed ? `awaits ${events(step.compensatedBy)}` : step.compensation?.type.name;
    if (canUndo(step)) lines.push(`  state "undo ${step.name}: ${undoneBy}" as ${undo(i)}`);
  }
  lines.push(`  [*] --> ${entry(0)}`);
  for (const [i, step] of steps.entries()) {
    const next = entry(i + 1);
    if (step.when) lines.push(`  ${i === 0 ? '[*]' : exit(i - 1)} --> ${next}: ${step.name} skipped (condition)`);
    if (step.parallel) {
      const failed = canUndo(step) ? undo(i) : compensationFrom(i, false);
      for (const b of step.parallel) {
        lines.push(`  fork_${id(step.name)} --> ${id(b.name)}`, `  ${id(b.name)} --> join_${id(step.name)}: ${events(b.completedBy)}`);
        if (b.failedBy?.length) lines.push(`  ${id(b.name)} --> ${failed}: ${events(b.failedBy)}`);
        lines.push(`  ${id(b.name)} --> ${failed}: timed out`);
      }
      lines.push(`  join_${id(step.name)} --> ${next}`);
    } else {
      const answers = [step.wait?.signal ? `signal ${step.wait.signal}` : '', events(step.completedBy)].filter(Boolean).join(' / ');
      lines.push(`  ${id(step.name)} --> ${next}${step.command || step.wait || step.observed ? `: ${answers}` : ''}`);
      if (step.observed) lines.push(`  ${id(step.name)} --> Stalled: deadline passed`, `  Stalled --> ${id(step.name)}: ${answers}`);
      if (step.failedBy?.length) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, false)}: ${events(step.failedBy)}`);
      if (step.wait?.decide) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, false)}: signal says fail`);
      if (step.command) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, true)}: timed out`);
      if (step.wait) {
        const goTo = typeof step.wait.onTimeout === 'object' ? step.wait.onTimeout.goTo : null;
        const target = goTo ? entry(steps.findIndex((s) => s.name === goTo)) : compensationFrom(i, false);
        lines.push(`  ${id(step.name)} --> ${target}: deadline passed`);
      }
    }
    if (canUndo(step)) {
      const done = step.parallel ? 'every completed branch undone' : events(step.compensatedBy);
      lines.push(`  ${undo(i)} --> ${compensationFrom(i, false)}: ${done}`);
      if (!step.observed) lines.push(`  ${undo(i)} --> Failed: attempts exhausted`);
    }
  }
  lines.push('  Completed --> [*]', '  Compensated --> [*]', '  Failed --> [*]');
  return lines.join('\n');
}
