// Where the external services for tests are. CI (.ci/run) always sets these; on a
// machine without them the tests that need them are skipped with this reason.
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? '';
export const pgSkip = TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set (PostgreSQL not available here)';
export const redisSkip = TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set (Redis not available here)';
