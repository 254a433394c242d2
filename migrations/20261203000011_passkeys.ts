import type { Knex } from 'knex';

/**
 * Passkeys (WebAuthn credentials), a second factor: each row is one authenticator a person
 * registered and named. Only the public key is kept; the private key never leaves the device.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkeys', (t) => {
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
    // base64url of up to 1023 bytes (the WebAuthn maximum). Compared byte for byte: base64url is
    // case-sensitive, and MariaDB's default collation would make "aB" and "Ab" the same key.
    // ascii keeps the unique index at 1366 bytes, under InnoDB's 3072. SQLite compares bytes anyway.
    t.string('credential_id', 1366).collate('ascii_bin').notNullable().unique();
    t.text('public_key').notNullable(); // COSE key, base64url
    t.bigInteger('counter').unsigned().notNullable().defaultTo(0); // the authenticator's signature counter
    t.string('transports', 255).nullable(); // JSON array the browser reported (usb, internal, hybrid…)
    t.string('name', 60).notNullable(); // the person's label: "Notebook do trabalho"
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_used_at', { precision: 3 }).nullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('passkeys');
}
