#!/usr/bin/env node
// Calls Classify, ClassifyBatch and ClassifyDocument and prints the labels.
//
// Usage: node client.js [HOST:PORT]   (default: $STANCE_ADDR, else localhost:50051)
//
// proto-loader reads the proto at run time: no generated code.
'use strict';

const path = require('node:path');
const { promisify } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'stance', 'v1', 'stance.proto');
const TEXTS = [
  'The two countries oppose hegemony and will work together for a multipolar world.',
  'Our country does not take sides in this conflict.',
];
const DOCUMENT = 'The talks in Genève went well 🤝. Both sides support a fairer global governance. ' +
  'They will meet again in May.';

function show(name, result) {
  const note = result.abstained ? ' (below threshold)' : '';
  console.log(`${name}: ${result.labels.join(', ')}${note}  top=${result.topLabel} ${result.topScore.toFixed(3)}`);
  if (result.labels.length === 0 && !result.unsupportedLanguage) {
    throw new Error(`${name}: no label for a supported language`);
  }
}

async function main() {
  const addr = process.argv[2] || process.env.STANCE_ADDR || 'localhost:50051';
  // defaults: unset fields come back as their zero values, as in proto3;
  // longs as Numbers: offsets and counts stay far below 2^53.
  const def = protoLoader.loadSync(PROTO, { longs: Number, enums: String, defaults: true });
  const { StanceService } = grpc.loadPackageDefinition(def).stance.v1;
  const client = new StanceService(addr, grpc.credentials.createInsecure());
  const call = (method, req) => promisify(client[method].bind(client))(req, { deadline: Date.now() + 10000 });
  try {
    const resp = await call('Classify', { text: TEXTS[0] });
    show('Classify', resp.result);

    const batch = await call('ClassifyBatch', { requests: TEXTS.map((text) => ({ text })) });
    for (const item of batch.items) {
      if (item.status.code !== 0) throw new Error(`ClassifyBatch item ${item.index}: ${item.status.message}`);
      show(`ClassifyBatch[${item.index}]`, item.result);
    }

    const doc = await call('ClassifyDocument', { text: DOCUMENT, encodingType: 'ENCODING_TYPE_UTF16' });
    if (doc.sentences.length === 0) throw new Error('ClassifyDocument: no sentences');
    for (const s of doc.sentences) {
      // UTF16 offsets are code units: JavaScript's own string indices.
      if (DOCUMENT.slice(s.beginOffset, s.endOffset) !== s.text) {
        throw new Error(`ClassifyDocument: offsets ${s.beginOffset}-${s.endOffset} do not give ${JSON.stringify(s.text)}`);
      }
      show(`ClassifyDocument[${s.beginOffset}:${s.endOffset}]`, s.result);
    }
  } finally {
    client.close();
  }
}

main().catch((err) => {
  console.error(err.details ? `${grpc.status[err.code]}: ${err.details}` : err.message);
  process.exit(1);
});
