import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventBusContract, objectStoreContract } from '@noisy/testing';
import { FileObjectStore, MemoryEventBus, MemoryObjectStore } from './index.js';

objectStoreContract('memory', async () => new MemoryObjectStore());
objectStoreContract('file', async () => new FileObjectStore(await mkdtemp(join(tmpdir(), 'store-'))).open());
eventBusContract('memory', async (onInvalid) => new MemoryEventBus({ onInvalid }));
