import { runStoreSuite } from './store-suite.ts';
import { makePostgresStore } from '../helpers/stores.ts';
import { pgSkip } from '../helpers/env.ts';

runStoreSuite('postgres', makePostgresStore, pgSkip);
