import fs from 'node:fs';
import { renderErrorCodesMarkdown } from '../packages/protocol/src/error-docs.js';

fs.writeFileSync(new URL('../docs/error-codes.md', import.meta.url), renderErrorCodesMarkdown());
console.log('wrote docs/error-codes.md');
