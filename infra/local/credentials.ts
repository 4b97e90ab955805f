/**
 * Fixed dummy credentials shared by the local servers (MinIO root user, DynamoDB Local, LocalStack) and
 * their clients. They guard nothing: every server listens on 127.0.0.1 only, and fixed values let a
 * client, a test or a saved endpoints file reach any local cloud without a handshake. Never real keys.
 */
/** Letters and digits only: DynamoDB Local 2.x answers UnrecognizedClientException to any other key id. */
export const LOCAL_ACCESS_KEY_ID = 'stratalocal';
export const LOCAL_SECRET_ACCESS_KEY = 'strata-local-secret';

/** The one region the local cloud pretends to be in; MinIO is told so, so that its S3 events carry it. */
export const LOCAL_REGION = 'us-east-1';
