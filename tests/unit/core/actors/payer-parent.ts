/** A purchase's stand-in for the payer tests: it invokes one payer with the given input and keeps what the payer
 *  reports (paid, out of stock) and its output when it ends. */
import { assign, setup } from 'xstate';
import { payerMachine, type PayerInput, type PayerOutput, type PayerReport } from '../../../../core/actors/payer.js';

/** The parent machine of one payer, its child id `payer`. */
export function payerParent(input: PayerInput) {
  return setup({
    actors: { payer: payerMachine },
    types: { context: {} as { reports: PayerReport[]; output: PayerOutput | undefined } },
  }).createMachine({
    context: { reports: [], output: undefined },
    invoke: { src: 'payer', id: 'payer', input, onDone: { actions: assign({ output: ({ event }) => event.output }) } },
    on: {
      'PAYER.PAID': { actions: assign({ reports: ({ context, event }) => [...context.reports, event as PayerReport] }) },
      'PAYER.OUT_OF_STOCK': { actions: assign({ reports: ({ context, event }) => [...context.reports, event as PayerReport] }) },
    },
  });
}
