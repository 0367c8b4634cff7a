import { memoryUnitSource } from './memory-source.ts';
import { runUnitSourceContract } from './unit-source-contract.ts';

runUnitSourceContract('memoryUnitSource', (data) => memoryUnitSource(data));
