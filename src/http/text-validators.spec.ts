import { describe, expect, it } from '@jest/globals';
import { IsString, validateSync } from 'class-validator';
import { IsCleanText } from './text-validators';

class Sample {
  @IsString()
  @IsCleanText()
  name: unknown;
}

function messages(name: unknown): string[] {
  const sample = Object.assign(new Sample(), { name });
  return validateSync(sample).flatMap((e) => Object.values(e.constraints ?? {}));
}

describe('IsCleanText', () => {
  it('accepts ordinary text, accents, emoji and inner spaces', () => {
    for (const ok of ['cust-1', '1 Main St', 'Zoë Ørsted', '東京', 'a 🎉 b']) expect(messages(ok)).toEqual([]);
  });

  it('refuses NUL and other control characters', () => {
    for (const bad of ['cu\u0000st', 'a\nb', 'tab\there', '\u007f', '\u0085'])
      expect(messages(bad)).toContain('name must not contain control characters');
  });

  it('refuses lone surrogates, high or low, and keeps surrogate pairs', () => {
    for (const bad of ['\ud800', 'x\ud800y', '\udc00', 'a\udfffb', '\ud83d\ud83d'])
      expect(messages(bad)).toContain('name must be well-formed Unicode');
    expect(messages('\ud83d\ude00')).toEqual([]);
  });

  it('refuses blank text: empty, spaces, tabs, no-break and zero-width spaces', () => {
    for (const bad of ['', '   ', '\u00a0', '\u3000 ', '\u200b']) expect(messages(bad)).toContain('name must not be blank');
  });

  it('leaves a value that is not a string to @IsString', () => {
    expect(messages(42)).toEqual(['name must be a string']);
  });
});
