import { randomInt } from 'node:crypto';
import { identityBadInput } from '../common/errors';

/** Unambiguous letters and digits (no 0/O, 1/l/I): the password is typed from an SMS or a printed slip. */
const LETTERS = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const ALPHABET = LETTERS + DIGITS;

/**
 * A generated password (terms 1: "alphanumeric secret"): 10 characters from 56 → ~58 bits,
 * with at least one letter and one digit. Used for the SMS password (terms 3.1.1) and the office password (terms 3.1.2).
 */
export function generatePassword(length = 10): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < length; i += 1) password += ALPHABET[randomInt(ALPHABET.length)];
    if (/[A-Za-z]/.test(password) && /\d/.test(password)) return password;
  }
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** A password the subscriber chooses (changePassword): 8–128 characters with at least one letter and one digit. */
export function assertAcceptablePassword(password: string, field = 'newPassword'): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw identityBadInput(field, {
      KK: 'Құпиясөз {min}–{max} таңбадан тұруы керек',
      RU: 'Пароль должен содержать от {min} до {max} символов',
      EN: 'The password must be {min} to {max} characters long',
    }, { min: MIN_PASSWORD_LENGTH, max: MAX_PASSWORD_LENGTH });
  }
  if (!/\p{L}/u.test(password) || !/\p{N}/u.test(password) || /[\p{Cc}]/u.test(password)) {
    throw identityBadInput(field, {
      KK: 'Құпиясөзде кемінде бір әріп пен бір сан болуы керек',
      RU: 'Пароль должен содержать хотя бы одну букву и одну цифру',
      EN: 'The password must contain at least one letter and one digit',
    });
  }
}
