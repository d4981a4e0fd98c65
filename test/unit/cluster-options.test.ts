import { describe, expect, it } from 'vitest';
import { envPairs } from '../../src/cluster/options.js';

describe('envPairs: repeated K=V arguments (cluster up --env, bench --env, bench:ab)', () => {
  it('keeps everything after the first = as the value, and the last of a repeated key', () => {
    expect(envPairs(['A=1', 'B=x=y', 'A=2', 'C='])).toEqual({ A: '2', B: 'x=y', C: '' });
    expect(envPairs(undefined)).toEqual({});
  });

  it('refuses an argument without a key, naming the flag', () => {
    expect(() => envPairs(['NOVALUE'])).toThrow('--env wants K=V, got NOVALUE');
    expect(() => envPairs(['=1'], '--b-env')).toThrow('--b-env wants K=V, got =1');
  });
});
