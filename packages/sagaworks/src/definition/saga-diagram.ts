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
    const label = step.command ? `${step.name}: ${step.command.type.name}` : `${step.name}: (done at start)`;
    lines.push(`  state "${label}" as ${id(step.name)}`);
    if (step.compensation && !step.nonCompensable) lines.push(`  state "undo ${step.name}: ${step.compensation.type.name}" as ${undo(i)}`);
  }
  lines.push(`  [*] --> ${id(steps[0].name)}`);
  for (const [i, step] of steps.entries()) {
    const next = i + 1 < steps.length ? id(steps[i + 1].name) : 'Completed';
    lines.push(`  ${id(step.name)} --> ${next}${step.command ? `: ${events(step.completedBy)}` : ''}`);
    if (step.failedBy?.length) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, false)}: ${events(step.failedBy)}`);
    if (step.command) lines.push(`  ${id(step.name)} --> ${compensationFrom(i, true)}: timed out`);
    if (step.compensation && !step.nonCompensable) {
      lines.push(`  ${undo(i)} --> ${compensationFrom(i, false)}: ${events(step.compensatedBy)}`);
      lines.push(`  ${undo(i)} --> Failed: attempts exhausted`);
    }
  }
  lines.push('  Completed --> [*]', '  Compensated --> [*]', '  Failed --> [*]');
  return lines.join('\n');
}
