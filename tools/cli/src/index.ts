// @noisy/cli: the `noisy` command.
export { main, USAGE } from './main.js';
