/**
 * Internal: worker-thread entry that reads one CSV file (_csv-records.ts) and posts its records
 * to the importing thread in batches, so parsing, decoding and hashing run beside the SQLite
 * writes instead of before each of them (docs/scale.md "One node on one machine").
 * Flow control: at most MAX_IN_FLIGHT batches are unanswered; the importing thread posts
 * 'credit' for each one it has written, and the reading pauses meanwhile.
 *
 * Messages to the importer: {type:'batch', records, bytes} | {type:'badByte', offset} |
 * {type:'csvError', err} | {type:'readError'} | {type:'end', fileHash, bytes}.
 * From it: {type:'credit'}; it ends the worker with terminate() when it has what it needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { produceRecords } from './_csv-records.ts';
import type { ImportEncoding } from './formats.ts';

const MAX_IN_FLIGHT = 4;

interface Start {
  file: string;
  encoding: ImportEncoding;
  batchSize: number;
}

const port = parentPort;
if (port) {
  const { file, encoding, batchSize } = workerData as Start;
  let inFlight = 0;
  const producer = produceRecords(
    file,
    encoding,
    {
      batch(records, bytes) {
        port.postMessage({ type: 'batch', records, bytes });
        if (++inFlight >= MAX_IN_FLIGHT) producer.pause();
        return true;
      },
      badByte: (offset) => port.postMessage({ type: 'badByte', offset }),
      csvError: (err) => port.postMessage({ type: 'csvError', err }),
      readError: () => port.postMessage({ type: 'readError' }),
      end: (fileHash, bytes) => port.postMessage({ type: 'end', fileHash, bytes }),
    },
    batchSize
  );
  port.on('message', () => {
    // The only message is 'credit': one batch written.
    inFlight--;
    if (inFlight < MAX_IN_FLIGHT) producer.resume();
  });
}
