// Versions compared part by part, as fleet filters' ranges and compliance's "newest" compare them.
import { describe, expect, it } from 'vitest';
import { versionKey } from '../../src/domain/device-filter.js';

const before = (a: string, b: string) => (versionKey(a) as string) < (versionKey(b) as string);

describe('versionKey', () => {
  it('orders numeric dotted versions part by part, whatever their width', () => {
    expect(before('V1.2.9', 'V1.2.10')).toBe(true);
    expect(before('V1.10', 'V2')).toBe(true);
    expect(before('1.2', '1.2.1')).toBe(true);
    expect(before('V9.9.9', 'V10.0.0')).toBe(true);
  });

  it('reads trailing zero parts and a leading run of letters as nothing', () => {
    expect(versionKey('V2.0.0')).toBe(versionKey('2'));
    expect(versionKey('S1.2')).toBe(versionKey('v1.2.0'));
    expect(versionKey('0')).toBe(versionKey('0.0'));
  });

  it('has no key for versions of another form: they match no range', () => {
    for (const other of ['1.2-rc1', 'beta', '', 'V', '1..2', '1.2.', 'V1.2 ', '1234567890', '1.2.3.4.5.6.7.8.9']) expect(versionKey(other), other).toBeNull();
  });
});
