import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve(process.cwd(), 'src');
const DOMAIN_MODULES = ['orders', 'inventory', 'payment', 'shipping'];
const APPLICATION_MODULES = ['order-fulfillment'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every relative import of a file, resolved to a path under src/ (without extension). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((spec) => relative(SRC, resolve(dirname(file), spec)));
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
    if (module === owner || module.startsWith('..')) continue;
    if (owner === 'saga' && module !== 'saga') {
      violations.push(`${from}: the saga module imports ${target} (it must know nothing outside src/saga)`);
    }
    const isModule = DOMAIN_MODULES.includes(module) || APPLICATION_MODULES.includes(module) || module === 'saga';
    if (isModule && inner !== '' && inner !== 'index') {
      violations.push(`${from}: imports ${target}, an internal of ${module}; import its public contract ('${module}') instead`);
    }
    if (DOMAIN_MODULES.includes(owner) && APPLICATION_MODULES.includes(module)) {
      violations.push(`${from}: a domain module imports the saga that orchestrates it (${target})`);
    }
  }
}

describe('module boundaries', () => {
  it('scans the source tree', () => {
    expect(sourceFiles(SRC).length).toBeGreaterThan(40);
  });

  it('the saga module imports nothing from the app, and modules use each other only through their index.ts', () => {
    expect(violations).toEqual([]);
  });
});
