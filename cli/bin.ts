/** `npm run cli -- <command>` and the single-file build start here. */
import { main } from './main.js';

void main();
