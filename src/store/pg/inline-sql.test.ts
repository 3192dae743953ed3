// Values written into statements as literals must reach PostgreSQL exactly as the driver's parameters
// would: checked against a real server for every kind of value the repositories record.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type PostgresCluster } from "../../../test/helpers/postgres.ts";
import { inlineStatement, sqlLiteral } from "./inline-sql.ts";
import { PG_TYPES } from "./types.ts";

describe("statements with their values inlined", () => {
  let cluster: PostgresCluster;
  let pool: pg.Pool;

  before(async () => {
    cluster = await startPostgres();
    pool = new pg.Pool({ connectionString: await cluster.createDatabase("inline"), max: 2 });
    await pool.query("CREATE TABLE kinds (t text, n bigint, f double precision, b boolean, bin bytea, arr text[])");
  });
  after(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  it("stores every value as the parameterised statement does", async () => {
    const rows: unknown[][] = [
      ["plain", 1, 0.5, true, Buffer.from([0, 255, 10]), ["a", "b"]],
      ["it's a 'quote' and a \\ backslash; -- not a comment $1", -5, -1e-7, false, Buffer.alloc(0), []],
      ["Ω 🚨 \n\t tabs and lines", 2 ** 53 - 1, 1e21, null, null, ["x'y", "z\\w", "$2"]],
      [null, null, null, null, null, null],
    ];
    const insert = "INSERT INTO kinds (t, n, f, b, bin, arr) VALUES ($1, $2, $3, $4, $5, $6::text[])";
    for (const r of rows) {
      await pool.query("TRUNCATE kinds");
      await pool.query({ text: insert, values: r });
      const viaParams = (await pool.query({ text: "SELECT * FROM kinds", types: PG_TYPES })).rows;
      await pool.query("TRUNCATE kinds");
      await pool.query(inlineStatement(insert, r));
      const viaLiterals = (await pool.query({ text: "SELECT * FROM kinds", types: PG_TYPES })).rows;
      assert.deepEqual(viaLiterals, viaParams);
    }
  });

  it("replaces $10 as a whole, leaves quoted text alone, and refuses what it cannot write", () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.equal(inlineStatement("SELECT $1, $10, '$2', \"$3\"", values), "SELECT (1), (10), '$2', \"$3\"");
    assert.equal(inlineStatement("SELECT n-$1", [-5]), "SELECT n-(-5)");
    assert.throws(() => inlineStatement("SELECT $2", [1]), /refers to \$2/);
    assert.throws(() => sqlLiteral("a\u0000b"), /U\+0000/);
    assert.throws(() => sqlLiteral(new Date()), /cannot write/);
    assert.throws(() => sqlLiteral({}), /cannot write/);
  });
});
