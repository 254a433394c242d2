import { dropTestDatabases } from './databases';
import { closePortals } from './portal';

/** Root hooks: every portal a test started is closed and every test database dropped. */
export const mochaHooks = {
  async afterAll() {
    await closePortals();
    await dropTestDatabases();
  },
};
