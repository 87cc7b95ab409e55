/**
 * The ISO 20022 message types of a cross-border transfer, apart from the XML they are read and written
 * with (transfer-messages.ts): workflows name them in the audit trail, and a workflow that imported the
 * XML parser would evaluate it, with its entity tables, once for every saga the worker keeps in memory.
 */
export const MessageTypes = { pacs008: 'pacs.008.001.08', pacs002: 'pacs.002.001.10', pacs028: 'pacs.028.001.03', pacs004: 'pacs.004.001.09' } as const;
