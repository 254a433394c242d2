import type { Context } from 'mocha';
import { dropTestDatabases } from './databases';
import { closePortals } from './portal';

/** Root hooks: every portal a test started is closed and every test database dropped. */
export const mochaHooks = {
  async afterAll(this: Context) {
    // A run on MariaDB makes dozens of databases of ~40 tables each; dropping them all takes
    // longer than one test may on a loaded machine.
    this.timeout(300_000);
    await closePortals();
    await dropTestDatabases();
  },
};
