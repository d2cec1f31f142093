// GATEWAY_AUDIT_DAYS: whole days, validated like every other variable (one line naming it and what it takes).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('GATEWAY_AUDIT_DAYS', () => {
  it('defaults to 90 and takes whole days from 1 to 3650', () => {
    const days = (value?: string) => {
      const result = loadConfig(value === undefined ? {} : { GATEWAY_AUDIT_DAYS: value });
      return result.ok ? result.config.auditDays : result.errors;
    };
    expect(days()).toBe(90);
    expect(days('1')).toBe(1);
    expect(days(' 3650 ')).toBe(3650);
    for (const wrong of ['0', '3651', '1.5', '-1', 'ninety']) {
      expect(days(wrong)).toEqual([`GATEWAY_AUDIT_DAYS: expected whole days from 1 to 3650, got ${JSON.stringify(wrong)}`]);
    }
  });
});
