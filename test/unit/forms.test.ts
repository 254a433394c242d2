import { expect } from 'chai';
import type { Request, Response } from 'express';
import { Conflict, Forbidden, NotFound, SeatLimitReached, TooManyAttempts, ValidationFailed, type FieldErrors } from '../../server/errors';
import { answerForm, idParam, listOf, positiveId } from '../../server/http/forms';
import type { FlashMessage } from '../../server/http/types';

/** A request with a session (for flash) and a response that records what it was told. */
function exchange(params: Record<string, string> = {}) {
  const session: { flash?: FlashMessage[] } = {};
  const req = { params, session } as unknown as Request;
  const told: { headers: Record<string, string>; redirect?: [number, string] } = { headers: {} };
  const res = {
    set(name: string, value: string) {
      told.headers[name] = value;
      return this;
    },
    redirect(status: number, url: string) {
      told.redirect = [status, url];
    },
  } as unknown as Response;
  return { req, res, session, told };
}

const failing = (err: unknown) => async () => {
  throw err;
};

describe('forms: reading a form', () => {
  it('positiveId takes whole numbers above zero, as numbers or text, and nothing else', () => {
    expect([positiveId('7'), positiveId(7), positiveId(' 12 ')]).to.deep.equal([7, 7, 12]);
    for (const bad of ['0', '-3', '1.5', 'abc', '', undefined, null, '9007199254740993', [], {}]) {
      expect(positiveId(bad), String(bad)).to.equal(null);
    }
  });

  it('idParam answers 404 for an id that cannot be one', () => {
    expect(idParam(exchange({ contactId: '42' }).req, 'contactId')).to.equal(42);
    expect(() => idParam(exchange({ contactId: 'x' }).req, 'contactId')).to.throw(NotFound);
    expect(() => idParam(exchange({}).req, 'contactId')).to.throw(NotFound);
  });

  it('listOf reads a repeated field, a single value, or nothing', () => {
    expect(listOf(['a', 'b'])).to.deep.equal(['a', 'b']);
    expect(listOf([1, 2])).to.deep.equal(['1', '2']);
    expect(listOf('a')).to.deep.equal(['a']);
    expect(listOf('')).to.deep.equal([]);
    expect(listOf(undefined)).to.deep.equal([]);
    expect(listOf({ a: 1 })).to.deep.equal([]);
  });
});

describe('forms: answering a form', () => {
  it('a validation error shows the form again with its fields, 422', async () => {
    const { req, res } = exchange();
    const shown: [FieldErrors, number][] = [];
    const fields = { name: { key: 'validation.required' } };
    await answerForm(req, res, failing(new ValidationFailed(fields)), { invalid: (f, s) => shown.push([f, s]) });
    expect(shown).to.deep.equal([[fields, 422]]);
  });

  it('too many attempts: 429 beside the named field, with Retry-After', async () => {
    const { req, res, told } = exchange();
    const shown: [FieldErrors, number][] = [];
    await answerForm(req, res, failing(new TooManyAttempts(125)), { invalid: (f, s) => shown.push([f, s]), limitedField: 'password' });
    expect(told.headers['Retry-After']).to.equal('125');
    expect(shown).to.deep.equal([[{ password: { key: 'auth.errors.tooManyAttempts', params: { minutes: 3 } } }, 429]]);
  });

  it('too many attempts on a form that names no limited field goes on to the error page', async () => {
    const { req, res, told } = exchange();
    const err = new TooManyAttempts(60);
    let thrown: unknown;
    await answerForm(req, res, failing(err), { invalid: () => expect.fail('shown again') }).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(err);
    expect(told.headers).to.deep.equal({});
  });

  it('a refusal of the change (409) is flashed and sent back with 303', async () => {
    for (const err of [new Conflict('owner.errors.notOwner'), new SeatLimitReached()]) {
      const { req, res, session, told } = exchange();
      await answerForm(req, res, failing(err), { conflictTo: '/accounts/1/contacts/2' });
      expect(told.redirect).to.deep.equal([303, '/accounts/1/contacts/2']);
      expect(session.flash).to.deep.equal([{ type: 'error', key: err.messageKey, params: err.params }]);
    }
  });

  it('anything else, and what the form did not ask to answer, goes on to the error page', async () => {
    for (const [err, answers] of [
      [new Forbidden(), { invalid: () => undefined, conflictTo: '/x' }],
      [new Error('boom'), { invalid: () => undefined, conflictTo: '/x' }],
      [new Conflict('owner.errors.notOwner'), { invalid: () => undefined }],
      [new ValidationFailed({}), { conflictTo: '/x' }],
    ] as const) {
      const { req, res, session, told } = exchange();
      let thrown: unknown;
      await answerForm(req, res, failing(err), answers).catch((e: unknown) => (thrown = e));
      expect(thrown).to.equal(err);
      expect(told.redirect).to.equal(undefined);
      expect(session.flash).to.equal(undefined);
    }
  });

  it('the work answers success itself; nothing else is done', async () => {
    const { req, res, told } = exchange();
    await answerForm(req, res, async () => res.redirect(303, '/done'), { invalid: () => expect.fail('shown again'), conflictTo: '/x' });
    expect(told.redirect).to.deep.equal([303, '/done']);
  });
});
