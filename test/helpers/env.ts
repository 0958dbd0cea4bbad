// Where the external services for tests are. CI (.ci/run) always sets these; on a
// machine without them the tests that need them are skipped with this reason. Under CI
// a missing URL is an error, so CI can never silently skip them.
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? '';
if (process.env.CI === 'true' && (!TEST_DATABASE_URL || !TEST_REDIS_URL)) {
  throw new Error('CI must set TEST_DATABASE_URL and TEST_REDIS_URL (see .ci/run)');
}
export const pgSkip = TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set (PostgreSQL not available here)';
export const redisSkip = TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set (Redis not available here)';
