import { Kind } from 'graphql';
import { DateTimeScalar, EmailAddressScalar, PhoneNumberScalar, SCALAR_INPUT_CAPS } from '../src';

describe('scalar input caps', () => {
  it.each([
    ['PhoneNumber', PhoneNumberScalar],
    ['DateTime', DateTimeScalar],
    ['EmailAddress', EmailAddressScalar],
  ] as const)('%s refuses a value past its cap without quoting it, as a variable and as a literal', (name, scalar) => {
    const value = '7'.repeat(SCALAR_INPUT_CAPS[name] + 1);
    for (const parse of [() => scalar.parseValue(value), () => scalar.parseLiteral({ kind: Kind.STRING, value })]) {
      expect(parse).toThrow(`${name} is longer than ${SCALAR_INPUT_CAPS[name]} characters`);
      try {
        parse();
      } catch (error) {
        expect((error as Error).message).not.toContain(value);
      }
    }
  });

  it('still reads every accepted form within the cap', () => {
    expect(PhoneNumberScalar.parseValue('+7 (705) 123-45-67')).toBe('+77051234567');
    expect(DateTimeScalar.parseValue('2026-01-31T12:00:00Z')).toEqual(new Date('2026-01-31T12:00:00Z'));
    expect(EmailAddressScalar.parseValue('Aigerim@Example.KZ')).toBe('Aigerim@example.kz');
  });
});
