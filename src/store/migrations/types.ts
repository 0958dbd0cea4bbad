// The column type of every time (epoch milliseconds) in the schema.
export const ts = 'bigint';
