/** The lab with mxplan's relays and mxplan's responder against the engine contract. */
import { describe, vi } from 'vitest';
import { describeEngineContract } from '../engine/contract.js';
import { haveLab, labFactory } from './support/lab.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe.runIf(haveLab())('the lab, builtin MTA and DNS', () => {
  describeEngineContract('lab (mxplan relays, mxplan responder)', labFactory({ mta: 'builtin', dns: 'builtin' }));
});
