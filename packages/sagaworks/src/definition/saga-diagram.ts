import { formatDuration } from './format-duration.js';
import type { SagaDefinition } from './saga-definition.js';

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const events = (types: readonly { name: string }[] | undefined) => (types ?? []).map((t) => t.name).join(' / ');

/**
 * A definition as a Mermaid state diagram: the forward path, where each failure turns into compensation, and
 * the compensations in reverse. Render it with any Mermaid viewer (GitHub renders it in Markdown).
 */
export function renderSagaDiagram(definition: SagaDefinition<unknown>): string {
  const lines = ['stateDiagram-v2'];
  const steps = definition.steps;
  const undo = (i: number) => `undo_${id(steps[i].name)}`;
  /** Where compensation starts when the step at `index` fails: the nearest earlier step that can be undone. */
  const compensationFrom = (index: number, includeSelf: boolean): string => {
    for (let i = includeSelf ? index : index - 1; i >= 0; i--) if (steps[i].compensation && !steps[i].nonCompensable) return undo(i);
    return 'Compensated';
  };
  for (const [i, step] of steps.entries()) {
    const label = step.wait
      ? `${step.name}: waits${step.wait.signal ? ` for signal ${step.wait.signal}` : ''} (${formatDuration(step.wait.timeoutMs)})`
      : step.command
        ? `${step.name}: ${step.command.type.name}`
        : `${step.name}: (done at start)`;
    lines.push(`  state "${label}" as ${id(step.name)}`);
    if (step.compensation && !step.nonCompensable) lines.push(`  state "undo ${step.name}: ${step.compensation.type.name}" as ${undo(i)}`);
  }
  lines.push(`  [*] --> ${id(steps[0].name)}`);
  for (const [i, step] of steps.entries()) {
    const next = i + 1 < steps.length ? id(steps[i + 1].name) : 'Completed';
    const answers = [step.wait?.signal ? `signal ${step.wait.signal}` : '', events(step.completedBy)].filter(Boolean).join(' / ');
    lines.push(`  ${id(step.name)} --> ${next}${step.command || step.wait ? `: ${answers}` : ''}`);
    if (step.when) lines.push(`  ${i === 0 ? '[*]' : id(steps[i - 1].name)} --> ${next}: ${step.name} skipped (condition)`);
    if (step.failedBy?.length) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, false)}: ${events(step.failedBy)}`);
    if (step.wait?.decide) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, false)}: signal says fail`);
    if (step.command) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, true)}: timed out`);
    if (step.wait) {
      const goTo = typeof step.wait.onTimeout === 'object' ? step.wait.onTimeout.goTo : null;
      lines.push(`  ${id(step.name)} --> ${goTo ? id(goTo) : compensationFrom(i, false)}: deadline passed`);
    }
    if (step.compensation && !step.nonCompensable) {
      lines.push(`  ${undo(i)} --> ${compensationFrom(i, false)}: ${events(step.compensatedBy)}`);
      lines.push(`  ${undo(i)} --> Failed: attempts exhausted`);
    }
  }
  lines.push('  Completed --> [*]', '  Compensated --> [*]', '  Failed --> [*]');
  return lines.join('\n');
}
