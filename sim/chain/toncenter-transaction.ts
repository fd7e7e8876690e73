/** Transactions and messages in toncenter v2's JSON shapes (`raw.transaction`, `raw.message`), as `getTransactions`
 *  returns them. TonClient only decodes `data`, but its schema checks every field, and other clients read the
 *  rendered fields, so they are filled as toncenter fills them. Amounts are decimal strings of nanotons. */
import { Address, beginCell, storeMessage, storeStateInit, type Cell, type ExternalAddress, type Message, type Transaction } from '@ton/core';
import { readTextComment } from '../../plugins/ton/text-comment.js';

export interface ToncenterMessage {
  '@type': 'raw.message';
  hash: string;
  source: string;
  destination: string;
  value: string;
  fwd_fee: string;
  ihr_fee: string;
  created_lt: string;
  body_hash: string;
  msg_data:
    | { '@type': 'msg.dataText'; text: string }
    | { '@type': 'msg.dataRaw'; body: string; init_state: string };
  message: string;
}

export interface ToncenterTransaction {
  '@type': 'raw.transaction';
  address: { '@type': 'accountAddress'; account_address: string };
  utime: number;
  data: string;
  transaction_id: { '@type': 'internal.transactionId'; lt: string; hash: string };
  fee: string;
  storage_fee: string;
  other_fee: string;
  in_msg?: ToncenterMessage;
  out_msgs: ToncenterMessage[];
}

/** Renders one transaction of `account`; `hash` is the transaction cell hash (already computed by the history). */
export function transactionToToncenter(account: Address, tx: Transaction, hash: Buffer): ToncenterTransaction {
  const fee = tx.totalFees.coins;
  const storage = storageFee(tx);
  return {
    '@type': 'raw.transaction',
    address: { '@type': 'accountAddress', account_address: friendly(account) },
    utime: tx.now,
    data: boc(tx.raw),
    transaction_id: { '@type': 'internal.transactionId', lt: tx.lt.toString(), hash: hash.toString('base64') },
    fee: fee.toString(),
    storage_fee: storage.toString(),
    other_fee: (fee - storage).toString(),
    ...(tx.inMessage ? { in_msg: messageToToncenter(tx.inMessage) } : {}),
    out_msgs: [...tx.outMessages.values()].map(messageToToncenter),
  };
}

/** Renders one message the way tonlib's `raw.message` does: external sides as empty strings, text bodies decoded. */
export function messageToToncenter(m: Message): ToncenterMessage {
  const info = m.info;
  const source = info.type === 'external-in' ? '' : friendly(info.src);
  const destination = info.type === 'external-out' ? '' : friendly(info.dest);
  const comment = readTextComment(m.body);
  return {
    '@type': 'raw.message',
    hash: beginCell().store(storeMessage(m)).endCell().hash().toString('base64'),
    source,
    destination,
    value: info.type === 'internal' ? info.value.coins.toString() : '0',
    fwd_fee: info.type === 'internal' ? info.forwardFee.toString() : '0',
    ihr_fee: info.type === 'internal' ? info.ihrFee.toString() : '0',
    created_lt: info.type === 'external-in' ? '0' : info.createdLt.toString(),
    body_hash: m.body.hash().toString('base64'),
    msg_data:
      comment === null
        ? { '@type': 'msg.dataRaw', body: boc(m.body), init_state: m.init ? boc(beginCell().store(storeStateInit(m.init)).endCell()) : '' }
        : { '@type': 'msg.dataText', text: Buffer.from(comment, 'utf8').toString('base64') },
    message: comment ?? '',
  };
}

function storageFee(tx: Transaction): bigint {
  const d = tx.description;
  if (d.type === 'generic') return d.storagePhase?.storageFeesCollected ?? 0n;
  if (d.type === 'storage' || d.type === 'tick-tock') return d.storagePhase.storageFeesCollected;
  return 0n;
}

/** toncenter prints addresses user-friendly, bounceable, URL-safe; external addresses (rare) as their text. */
function friendly(address: Address | ExternalAddress | null | undefined): string {
  if (!address) return '';
  return Address.isAddress(address) ? address.toString({ urlSafe: true, bounceable: true }) : address.toString();
}

function boc(cell: Cell): string {
  return cell.toBoc({ idx: false }).toString('base64');
}
