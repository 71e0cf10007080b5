// @noisy/cli: the `noisy` command.
export { main } from './main.js';
