/**
 * OSS answers errors as XML `<Error><Code/><Message/><RequestId/><HostId/>...</Error>` with the HTTP status below.
 * Codes and messages are OSS's own so that ali-oss surfaces the same `err.code` as against the real service.
 */
export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements OSS puts in the error document (e.g. `Key`, `BucketName`); never a signature or secret. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OssError';
  }
}

export const OssErrors = {
  anonymousDenied: () =>
    new OssError(403, 'AccessDenied', 'You have no right to access this object because of bucket acl.'),
  expired: (expires: string, serverTime: string) =>
    new OssError(403, 'AccessDenied', 'Request has expired.', { Expires: expires, ServerTime: serverTime }),
  signatureDoesNotMatch: (accessKeyId: string) =>
    new OssError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        OSSAccessKeyId: accessKeyId,
      },
    ),
  invalidAccessKeyId: (accessKeyId: string) =>
    new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
      OSSAccessKeyId: accessKeyId,
    }),
  invalidSecurityToken: () => new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.'),
  timeTooSkewed: (requestTime: string, serverTime: string) =>
    new OssError(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: requestTime,
        ServerTime: serverTime,
      },
    ),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new OssError(400, 'InvalidArgument', message, {
      ...(name ? { ArgumentName: name } : {}),
      ...(value !== undefined ? { ArgumentValue: value } : {}),
    }),
  invalidDigest: () => new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.'),
  invalidEncryption: () =>
    new OssError(
      400,
      'InvalidEncryptionAlgorithmError',
      'The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4',
    ),
  invalidObjectName: () => new OssError(400, 'InvalidObjectName', 'The specified object is not valid.'),
  entityTooLarge: () => new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'),
  noSuchBucket: (bucket: string) =>
    new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }),
  fileAlreadyExists: () =>
    new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.'),
  methodNotAllowed: () =>
    new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'),
  notImplemented: (what: string) =>
    new OssError(501, 'NotImplemented', `${what} is not implemented by the local emulator.`),
  internal: () => new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.'),
};
