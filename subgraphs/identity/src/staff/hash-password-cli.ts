/**
 * Prints the scrypt hash of a staff password for STAFF_ACCOUNTS (the password is read from stdin, so it stays
 * out of the shell history):  echo -n 'secret' | node subgraphs/identity/dist/staff/hash-password-cli.js
 */
import { DEFAULT_SCRYPT_PARAMS, PasswordHasher } from '../auth/kdf';

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password.length < 12) {
    process.stderr.write('a staff password needs at least 12 characters\n');
    process.exit(1);
  }
  process.stdout.write(`${await new PasswordHasher(DEFAULT_SCRYPT_PARAMS).hash(password)}\n`);
}

void main();
