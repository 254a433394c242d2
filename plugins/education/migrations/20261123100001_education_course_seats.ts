import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('education_course_seats', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('audience', 12).notNullable(); // clients | franchises
    t.string('course', 150).notNullable();
    t.integer('seats_total').notNullable();
    t.integer('seats_used').notNullable().defaultTo(0);
    t.date('valid_until').nullable();
    t.index(['account_id', 'audience']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('education_course_seats');
}
