// Stands in for @alicloud/credentials in the function bundles (scripts/bundle-cuts.mjs, cut
// `alicloud-credentials-unused`). @alicloud/openapi-client builds a Credential from it only when its Config carries
// accessKeyId/accessKeySecret or bearerToken; ours carry a `credential` object instead (shared/alibaba/rpc.ts
// signingCredential), which signs with each invocation's keys. Reaching it is a bug in the cut.
'use strict';
class Credential {
  constructor() {
    throw new Error('@alicloud/credentials is not in this bundle (scripts/bundle-cuts.mjs): pass a `credential`');
  }
}
class Config {
  constructor() {
    throw new Error('@alicloud/credentials is not in this bundle (scripts/bundle-cuts.mjs): pass a `credential`');
  }
}
exports.__esModule = true;
exports.default = Credential;
exports.Config = Config;
