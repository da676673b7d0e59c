import { MxplanError } from '../errors.js';

/** The plan holds something Postfix or Dovecot cannot be told (exit 2: nothing is written). */
export class MtaError extends MxplanError {}
