import { PGlite } from '@electric-sql/pglite';
const r0 = process.memoryUsage().rss >> 20;
const db = await PGlite.create('/tmp/pgmem-db');
await db.query('select 1');
const m = process.memoryUsage();
console.log('before', r0, 'after pglite rss', m.rss >> 20, 'external', m.external >> 20, 'ab', m.arrayBuffers >> 20);
