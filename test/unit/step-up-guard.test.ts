import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import { requireStepUp, type StepUpPolicy } from '../../server/http/guards';

/** A POST from a session that signed in a minute ago, on a page of company 7 where the person is owner. */
function request(policy?: StepUpPolicy): Request {
  return {
    method: 'POST', user: { id: 3 }, session: { signedInAt: Date.now() - 60_000 }, body: {}, originalUrl: '/accounts/7/owner',
    get: () => undefined, stepUpPolicy: policy,
    ctx: { account: { id: 7 }, isOwner: true, can: () => false },
  } as unknown as Request;
}

async function run(req: Request): Promise<{ passed: boolean; redirectedTo: string | null }> {
  let passed = false;
  let redirectedTo: string | null = null;
  const res = { redirect: (_s: number, to: string) => (redirectedTo = to) } as unknown as Response;
  await requireStepUp(req, res, (() => (passed = true)) as NextFunction);
  return { passed, redirectedTo };
}

describe('requireStepUp', () => {
  it('fails closed when no step-up policy was wired: an error, never a pass on the password alone', async () => {
    let error: unknown;
    try {
      await run(request());
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/no step-up policy/);
  });

  it("hands the policy the request's own account context, so it need not read the membership again", async () => {
    const seen: unknown[] = [];
    const policy: StepUpPolicy = {
      secondFactorRequired: async (_a, _u, known) => {
        seen.push(known);
        return !!known?.isOwner;
      },
    };
    const outcome = await run(request(policy));
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ isOwner: true });
    expect(outcome).to.deep.equal({ passed: false, redirectedTo: '/step-up' });
  });
});
