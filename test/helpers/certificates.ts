/**
 * Real certificates for tests, made by `openssl` (asynchronously: a registry may answer from the
 * same process): a certificate authority with EC keys that issues device certificates.
 */
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[]): Promise<Buffer> {
  const { stdout } = await exec('openssl', args, { encoding: 'buffer' });
  return stdout;
}

/** A device certificate. */
export interface IssuedCertificate {
  /** Base64 DER. */
  readonly der: string;
  readonly cert: X509Certificate;
}

export interface TestCa {
  /** Base64 DER SubjectPublicKeyInfo of the CA's key. */
  readonly publicKey: string;
  /** A certificate for `subject` (OpenSSL form, `/O=ACME/CN=device-1`) signed by this CA. */
  issue(subject: string): Promise<IssuedCertificate>;
  /** Removes the CA's files. */
  dispose(): Promise<void>;
}

/** A self-signed EC CA; `subject` in OpenSSL form (`/O=ACME/CN=ca`). */
export async function createTestCa(subject: string): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-test-ca-'));
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.pem');
  await openssl(['req', '-x509', ...EC_KEY, '-keyout', keyFile, '-subj', subject, '-days', '30', '-out', certFile]);
  const pubPem = join(dir, 'ca-pub.pem');
  await writeFile(pubPem, await openssl(['x509', '-in', certFile, '-pubkey', '-noout']));
  const publicKey = (await openssl(['pkey', '-pubin', '-in', pubPem, '-outform', 'DER'])).toString('base64');
  let issued = 0;
  return {
    publicKey,
    async issue(deviceSubject) {
      const n = (issued += 1);
      const csr = join(dir, `dev-${n}.csr`);
      const out = join(dir, `dev-${n}.der`);
      await openssl(['req', '-new', ...EC_KEY, '-keyout', join(dir, `dev-${n}.key`), '-subj', deviceSubject, '-out', csr]);
      await openssl(['x509', '-req', '-in', csr, '-CA', certFile, '-CAkey', keyFile, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '10', '-outform', 'DER', '-out', out]);
      const der = await readFile(out);
      return { der: der.toString('base64'), cert: new X509Certificate(der) };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
