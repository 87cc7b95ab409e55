import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ibanProblem, toMinor, fromMinor } from '../../src/domain/iso';
import { postingLines, settle, creditBack } from '../../src/domain/transfer';
import { TransferRequestSchema } from '../../src/domain/transfer-request';

const base = {
  debtor: { iban: 'DE89 3704 0044 0532 0130 00', currency: 'EUR' },
  beneficiary: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' },
  amount: { value: '1000.00', currency: 'EUR' },
  chargeBearer: 'SHAR',
};

function problems(body: unknown): Record<string, string> {
  const parsed = TransferRequestSchema.safeParse(body);
  return parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('transfer request validation', () => {
  it('accepts a valid request and normalizes the IBAN', () => {
    const parsed = TransferRequestSchema.parse(base);
    assert.equal(parsed.debtor.iban, 'DE89370400440532013000');
    assert.equal(parsed.amountIs, 'sent');
  });

  it('checks IBAN digits (mod 97) and each country\'s length, naming the field', () => {
    assert.match(problems({ ...base, debtor: { ...base.debtor, iban: 'DE89370400440532013001' } })['debtor.iban']!, /mod 97/);
    assert.match(problems({ ...base, beneficiary: { ...base.beneficiary, iban: 'FR76300060000112345678901' } })['beneficiary.iban']!, /27 characters, not 25/);
    assert.equal(ibanProblem('KW81CBKU0000000000001234560101'), null);
    assert.equal(ibanProblem('GB29NWBK60161331926819'), null);
  });

  it('checks the BIC shape and its country', () => {
    assert.match(problems({ ...base, beneficiary: { ...base.beneficiary, bic: 'BNP1FRPP' } })['beneficiary.bic']!, /8 or 11/);
    assert.match(problems({ ...base, beneficiary: { ...base.beneficiary, bic: 'DEUTDEFF' } })['beneficiary.bic']!, /country is DE, not FR/);
  });

  it('takes amounts in the currency\'s own minor unit: JPY none, KWD three', () => {
    assert.deepEqual(toMinor('1234567', 'JPY'), { minor: 1_234_567 });
    assert.match((toMinor('100.5', 'JPY') as { problem: string }).problem, /no minor unit/);
    assert.deepEqual(toMinor('12.345', 'KWD'), { minor: 12_345 });
    assert.match((toMinor('12.3456', 'KWD') as { problem: string }).problem, /3 decimals/);
    assert.match(problems({ ...base, amount: { value: '10.001', currency: 'EUR' } })['amount.value']!, /2 decimals/);
    assert.match(problems({ ...base, amount: { value: '10', currency: 'XXX' } })['amount.currency']!, /ISO 4217/);
    assert.equal(fromMinor(12_345, 'KWD'), '12.345');
    assert.equal(fromMinor(162_450, 'JPY'), '162450');
    assert.equal(fromMinor(5, 'EUR'), '0.05');
  });

  it('refuses remittance information over 140 characters and an amount in the wrong currency', () => {
    assert.ok(problems({ ...base, remittanceInformation: 'x'.repeat(141) }).remittanceInformation);
    assert.match(problems({ ...base, amount: { value: '10', currency: 'USD' } })['amount.currency']!, /EUR/);
  });
});

describe('transfer settlement arithmetic', () => {
  it('converts EUR to JPY and KWD exactly, and every posting nets to zero per currency', () => {
    const jpy = TransferRequestSchema.parse({ ...base, beneficiary: { ...base.beneficiary, currency: 'JPY' } });
    const s = settle(jpy, { quoteId: 'q', sell: 'EUR', buy: 'JPY', rateE6: 162_450_000 });
    assert.deepEqual([s.debit.minor, s.credit.minor], [100_500, 162_450]);
    const kwd = TransferRequestSchema.parse({ ...base, amountIs: 'received', amount: { value: '12.345', currency: 'KWD' }, beneficiary: { ...base.beneficiary, currency: 'KWD' } });
    const k = settle(kwd, { quoteId: 'q', sell: 'EUR', buy: 'KWD', rateE6: 331_234 });
    // 12.345 KWD at 0.331234 KWD per EUR costs 37.27...; rounded up to the cent: 37.27 EUR
    assert.deepEqual([k.principal.minor, k.credit.minor], [3_727, 12_345]);
    for (const lines of [postingLines('DE89370400440532013000', s), postingLines('DE89370400440532013000', k)]) {
      const sums = new Map<string, number>();
      for (const l of lines) sums.set(l.currency, (sums.get(l.currency) ?? 0) + l.minor);
      assert.deepEqual([...sums.values()], [0, 0]);
    }
    assert.deepEqual(creditBack({ minor: 162_450, currency: 'JPY' }, 'EUR', 162_450_000), { minor: 100_000, currency: 'EUR' });
  });
});
