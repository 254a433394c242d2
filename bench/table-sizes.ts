/**
 * Bytes per contact for bench/contacts-list: InnoDB data + indexes after ANALYZE TABLE, from
 * information_schema, for `contacts` and for every table about contacts (named contact… or with a
 * contact_id column), and each index of `contacts` from mysql.innodb_index_stats.
 */
import type { Knex } from 'knex';

export interface TableSize {
  table: string;
  dataBytes: number;
  indexBytes: number;
}

export interface Sizes {
  contacts: number;
  tables: TableSize[];
  /** Each index of `contacts` (PRIMARY is the clustered data itself). */
  indexes: { index: string; bytes: number }[];
}

export async function contactSizes(db: Knex): Promise<Sizes> {
  const related = (await db('information_schema.TABLES as t')
    .where('t.TABLE_SCHEMA', db.raw('database()'))
    .where((w) => w.where('t.TABLE_NAME', 'like', 'contact%').orWhereExists(
      db('information_schema.COLUMNS as c').whereRaw('c.TABLE_SCHEMA = t.TABLE_SCHEMA and c.TABLE_NAME = t.TABLE_NAME').where('c.COLUMN_NAME', 'contact_id'),
    ))
    .pluck('t.TABLE_NAME')) as string[];
  await db.raw(`ANALYZE TABLE ${related.map((t) => `\`${t}\``).join(', ')}`);
  const tables = (await db('information_schema.TABLES').where('TABLE_SCHEMA', db.raw('database()')).whereIn('TABLE_NAME', related)
    .select({ table: 'TABLE_NAME', dataBytes: 'DATA_LENGTH', indexBytes: 'INDEX_LENGTH' }).orderBy('TABLE_NAME')) as TableSize[];
  const pageSize = Number(((await db.raw('select @@innodb_page_size as p')) as unknown as [{ p: number }[]])[0][0]!.p);
  const indexes = (await db('mysql.innodb_index_stats').where({ database_name: db.raw('database()'), table_name: 'contacts', stat_name: 'size' })
    .select('index_name', 'stat_value')) as { index_name: string; stat_value: number }[];
  const contacts = Number((await db('contacts').count({ n: '*' }).first())!.n);
  return {
    contacts,
    tables: tables.map((t) => ({ table: t.table, dataBytes: Number(t.dataBytes), indexBytes: Number(t.indexBytes) })),
    indexes: indexes.map((i) => ({ index: i.index_name, bytes: Number(i.stat_value) * pageSize })),
  };
}

export function printSizes(s: Sizes): { contactsTable: number; allTables: number } {
  const per = (bytes: number) => bytes / s.contacts;
  console.log(`${s.contacts.toLocaleString('en-US')} contacts; bytes per contact (data + indexes, InnoDB pages after ANALYZE TABLE):`);
  for (const t of s.tables) {
    console.log(`  ${t.table.padEnd(24)} data ${per(t.dataBytes).toFixed(0).padStart(5)}  indexes ${per(t.indexBytes).toFixed(0).padStart(5)}  total ${per(t.dataBytes + t.indexBytes).toFixed(0).padStart(5)}  (${((t.dataBytes + t.indexBytes) / 2 ** 20).toFixed(1)} MiB)`);
  }
  for (const i of s.indexes) console.log(`    contacts index ${i.index.padEnd(34)} ${per(i.bytes).toFixed(0).padStart(5)} bytes per contact`);
  const contactsTable = s.tables.find((t) => t.table === 'contacts')!;
  return { contactsTable: per(contactsTable.dataBytes + contactsTable.indexBytes), allTables: per(s.tables.reduce((n, t) => n + t.dataBytes + t.indexBytes, 0)) };
}
