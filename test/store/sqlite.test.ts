import { runStoreSuite } from './store-suite.ts';
import { makeSqliteStore } from '../helpers/stores.ts';

runStoreSuite('sqlite', makeSqliteStore);
