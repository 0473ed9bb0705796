/**
 * @peculiar/x509 (with reflect-metadata, which its ASN.1 schemas need) on Node's own webcrypto. Functions load it
 * through `loadX509()` (./webcrypto.ts) only where a CSR or certificate is built, so their cold start skips it;
 * the emulator and the tests, which are not bundled, import it from here directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
