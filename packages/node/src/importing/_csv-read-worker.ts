/**
 * Internal: worker-thread entry that reads one import file as text (_csv-text.ts: UTF-8 check,
 * hash, decoding) and posts it to the importing thread chunk by chunk, so that work runs beside
 * the SQLite writes instead of before each of them (docs/scale.md "One node on one machine").
 * Flow control: at most MAX_IN_FLIGHT chunks are unanswered; the importing thread posts
 * 'credit' for each one it has taken, and the reading pauses meanwhile.
 *
 * Messages to the importer: {type:'text', text, bytes} | {type:'badByte', offset} |
 * {type:'readError'} | {type:'end', fileHash, bytes}.
 * From it: {type:'credit'}; it ends the worker with terminate() when it has what it needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { produceText } from './_csv-text.ts';
import type { ImportEncoding } from './formats.ts';

const MAX_IN_FLIGHT = 4;

interface Start {
  file: string;
  encoding: ImportEncoding;
  chunkBytes: number;
}

const port = parentPort;
if (port) {
  const { file, encoding, chunkBytes } = workerData as Start;
  let inFlight = 0;
  const producer = produceText(
    file,
    encoding,
    {
      text(text, bytes) {
        port.postMessage({ type: 'text', text, bytes });
        if (++inFlight >= MAX_IN_FLIGHT) producer.pause();
      },
      badByte: (offset) => port.postMessage({ type: 'badByte', offset }),
      readError: () => port.postMessage({ type: 'readError' }),
      end: (fileHash, bytes) => port.postMessage({ type: 'end', fileHash, bytes }),
    },
    chunkBytes
  );
  port.on('message', () => {
    // The only message is 'credit': one chunk taken.
    inFlight--;
    if (inFlight < MAX_IN_FLIGHT) producer.resume();
  });
}
