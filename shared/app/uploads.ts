/**
 * Presigned uploads into `fresh/<tenant>/<dataset>/`: the client PUTs the bytes straight to S3 and the
 * ordinary S3 event runs the pipeline, so the API never carries file contents. The client declares the
 * size first; it must be within the deployment's limit and is signed into the URL, so the URL takes a
 * body of exactly that length and no other.
 */
import { checkUploadMetadata } from '../domain/file-record.js';
import { type DataType, detectDataType, detectFormat, isValidName, objectKey } from '../domain/object-key.js';
import { InvalidInputError, MetadataTooLargeError, UploadTooLargeError } from '../errors.js';
import type { Clock, ObjectStore } from '../ports.js';

export interface UploadRequest {
  dataset: string;
  fileName: string;
  /** Bytes the PUT will send. */
  size: number;
  dataType?: DataType | undefined;
  /** csv | jsonl | json | parquet; otherwise taken from the file name's extension. */
  format?: string | undefined;
  contentType?: string | undefined;
  /**
   * The uploader's metadata, kept on the object (x-amz-meta-*) and recorded on the file record by register;
   * bounded by USER_METADATA_LIMITS (MetadataTooLargeError), no reserved keys but the link keys.
   */
  metadata?: Record<string, string> | undefined;
}

export interface UploadDeps {
  store: ObjectStore;
  clock: Clock;
  /** The deployment's limit (config UPLOAD_MAX_BYTES). */
  maxUploadBytes: number;
}

const UPLOAD_TTL_SECONDS = 3600;
/**
 * S3 limits user metadata to 2 KB in all; user keys take at most USER_METADATA_LIMITS.maxBytes of it, and
 * this bounds everything signed (with data type, format and declared links).
 */
const MAX_METADATA_BYTES = 1536;
const SAFE_FILE_NAME = /^[A-Za-z0-9._-][A-Za-z0-9._ ()/-]{0,254}$/;

export async function createUploadUrls(deps: UploadDeps, tenant: string, requests: readonly UploadRequest[]) {
  const expiresAt = new Date(deps.clock.now().getTime() + UPLOAD_TTL_SECONDS * 1000).toISOString();
  return Promise.all(
    requests.map(async (request, index) => {
      const where = requests.length > 1 ? `files[${index}]: ` : '';
      const { dataset, fileName, size } = request;
      if (!isValidName(dataset)) throw new InvalidInputError(`${where}invalid dataset name "${dataset}"`);
      if (
        !SAFE_FILE_NAME.test(fileName) ||
        fileName.split('/').some((part) => part === '..' || part === '')
      ) {
        throw new InvalidInputError(`${where}invalid file name "${fileName}"`);
      }
      if (size > deps.maxUploadBytes) {
        throw new UploadTooLargeError(
          `${where}${fileName} is declared ${size} bytes, over this deployment's upload limit of ${deps.maxUploadBytes} bytes`,
          size,
          deps.maxUploadBytes,
        );
      }
      // Reject now what the pipeline would quarantine later for the same reason.
      const format = detectFormat(fileName, request.format);
      const dataType = detectDataType(fileName, request.dataType);
      checkUploadMetadata(request.metadata ?? {}, where);
      const metadata = { ...request.metadata, 'data-type': dataType, format };
      if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
        throw new MetadataTooLargeError(
          `${where}metadata with data type, format and links is larger than ${MAX_METADATA_BYTES} bytes`,
          'bytes',
          MAX_METADATA_BYTES,
        );
      }
      const key = objectKey({ stage: 'fresh', tenant, dataset, fileName });
      const signed = await deps.store.presignPut(key, {
        expiresInSeconds: UPLOAD_TTL_SECONDS,
        contentLength: size,
        metadata,
        ...(request.contentType && { contentType: request.contentType }),
      });
      return {
        dataset,
        fileName,
        bucket: deps.store.bucket,
        key,
        size,
        format,
        dataType,
        method: 'PUT' as const,
        ...signed,
        expiresAt,
        // The file id needs the S3 version the PUT's answer names (see fileIdFor): the file is then at
        // `GET /files/{fileIdOfUpload(...)}`, or found by its key.
        filesRoute: `/files?key=${encodeURIComponent(key)}`,
      };
    }),
  );
}
