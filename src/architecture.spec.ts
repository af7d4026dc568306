import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve(process.cwd(), 'src');
const LIB = resolve(process.cwd(), 'packages', 'sagaworks', 'src');
const DOMAIN_MODULES = ['orders', 'inventory', 'payment', 'shipping'];
const APPLICATION_MODULES = ['order-fulfillment', 'order-returns'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every import specifier of a file. */
function importSpecifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** Every relative import of a file, resolved to a path under src/ (without extension). */
function relativeImports(file: string): string[] {
  return importSpecifiers(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(SRC, resolve(dirname(file), spec)));
}

/** `orders/commands/impl/x` -> ['orders', 'commands/impl/x'] */
function splitModule(path: string): [string, string] {
  const [top, ...rest] = path.split(sep);
  return [top, rest.join('/')];
}

const violations: string[] = [];
for (const file of sourceFiles(SRC)) {
  const [owner] = splitModule(relative(SRC, file));
  for (const target of relativeImports(file)) {
    const [module, inner] = splitModule(target);
    const from = relative(SRC, file);
    if (target.startsWith(`..${sep}packages`))
      violations.push(`${relative(SRC, file)}: imports ${target}; import the library by its package name`);
    if (module === owner || module.startsWith('..')) continue;
    const isModule = DOMAIN_MODULES.includes(module) || APPLICATION_MODULES.includes(module);
    // A module's events are its contract too, importable without the module: a choreography's participants
    // react to each other's events, and importing them through the index would tie the modules in a loop.
    if (isModule && !['', 'index', 'events', 'events/index'].includes(inner)) {
      violations.push(
        `${from}: imports ${target}, an internal of ${module}; import its public contract ('${module}' or '${module}/events') instead`,
      );
    }
    if (DOMAIN_MODULES.includes(owner) && APPLICATION_MODULES.includes(module)) {
      violations.push(`${from}: a domain module imports the saga that orchestrates it (${target})`);
    }
  }
}

// The library knows nothing of the app: its sources import only each other and packages (its specs may use the
// repository's test support), and the app reaches it only through the entries its package.json exports.
const LIB_ENTRIES = new Set(
  Object.keys((JSON.parse(readFileSync(join(LIB, '..', 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports)
    .filter((entry) => entry !== './package.json')
    .map((entry) => (entry === '.' ? 'sagaworks' : `sagaworks/${entry.slice(2)}`)),
);
const libraryViolations: string[] = [];
// spec-support/ is the specs' own host code, left out of the build, as the specs are.
for (const file of sourceFiles(LIB).filter((f) => !relative(LIB, f).startsWith('spec-support/'))) {
  for (const spec of importSpecifiers(file)) {
    const target = resolve(dirname(file), spec);
    if (spec.startsWith('.') && !target.startsWith(LIB))
      libraryViolations.push(`${relative(LIB, file)}: imports ${spec}, outside the library`);
    if (!spec.startsWith('.') && /^sagaworks(\/|$)/.test(spec))
      libraryViolations.push(`${relative(LIB, file)}: imports itself by name (${spec})`);
  }
}
for (const file of sourceFiles(SRC)) {
  for (const spec of importSpecifiers(file)) {
    if (/^sagaworks(\/|$)/.test(spec) && !LIB_ENTRIES.has(spec))
      libraryViolations.push(`${relative(SRC, file)}: imports ${spec}, not an entry of the library`);
  }
}

describe('module boundaries', () => {
  it('the library imports nothing from the app, and the app uses only its exported entries', () => {
    expect(sourceFiles(LIB).length).toBeGreaterThan(30);
    expect(libraryViolations).toEqual([]);
  });

  it('scans the source tree', () => {
    expect(sourceFiles(SRC).length).toBeGreaterThan(40);
  });

  it('modules use each other only through their index.ts', () => {
    expect(violations).toEqual([]);
  });
});
