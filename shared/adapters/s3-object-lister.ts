import {
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ListedObject, ObjectLister } from '../ports.js';
import { rethrowSdkError } from './sdk-errors.js';

/**
 * The current version of every object under a prefix, with its version id: the identity an S3 event
 * gives, from which the file id and the execution name are derived. Needs ListBucketVersions only (no
 * object read). Delete markers and noncurrent versions are skipped.
 */
export class S3ObjectLister implements ObjectLister {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async *listCurrent(prefix: string): AsyncIterable<ListedObject> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      let page: ListObjectVersionsCommandOutput;
      try {
        page = await this.s3.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
      } catch (error) {
        rethrowSdkError('ListObjectVersions', error);
      }
      for (const v of page.Versions ?? []) {
        if (!v.IsLatest || v.Key === undefined || v.LastModified === undefined) continue;
        yield {
          key: v.Key,
          versionId: v.VersionId === undefined || v.VersionId === 'null' ? undefined : v.VersionId,
          eTag: (v.ETag ?? '').replace(/"/g, ''),
          size: v.Size ?? 0,
          lastModified: v.LastModified,
        };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  }
}
