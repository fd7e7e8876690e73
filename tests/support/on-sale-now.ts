/** Moved into the shipped test kit (sdk/testing/on-sale-now.ts); kept here for the tests that import it. */
export { onSaleNow } from '../../sdk/testing/on-sale-now.js';
