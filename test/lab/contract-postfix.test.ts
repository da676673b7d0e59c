/** The lab with Postfix and Dovecot, and NSD, against the engine contract. */
import { describe, vi } from 'vitest';
import { describeEngineContract } from '../engine/contract.js';
import { haveLab, labFactory } from './support/lab.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe.runIf(haveLab())('the lab, Postfix and NSD', () => {
  // Not yet: Postfix's log names neither the DNS answers behind a next hop nor the client's
  // HELO (docs/lab.md, "Not yet").
  describeEngineContract('lab (Postfix and Dovecot, NSD)', labFactory({ mta: 'postfix', dns: 'nsd' }), {
    routed: "the lab does not yet join Postfix's smtp lines with the name servers' query logs",
  });
});
