/** Moved into the shipped test kit (sdk/testing/plugin-on-world.ts); kept here for the tests that import it. */
export { pluginOnWorld, worldAccount, type PluginOnWorld, type PluginSource } from '../../sdk/testing/plugin-on-world.js';
