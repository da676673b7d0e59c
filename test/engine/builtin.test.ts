/** The built-in sandbox (mxplan's responder and relays on loopback) against the engine contract. */
import { builtinEngine } from '../../src/sandbox/sandbox.js';
import { describeEngineContract } from './contract.js';

describeEngineContract('built-in sandbox', builtinEngine);
