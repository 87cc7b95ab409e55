import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, parseCodecKeys } from './aes-gcm-codec';

/** The one data converter every Temporal client and worker of sagaway uses. */
export function dataConverterFrom(codecKeys: string, acceptPlaintext = false): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(parseCodecKeys(codecKeys), acceptPlaintext)] };
}
