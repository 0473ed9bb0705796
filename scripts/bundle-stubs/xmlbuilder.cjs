// Stands in for xmlbuilder in the function bundles (scripts/bundle-cuts.mjs, cut `xmlbuilder-unused`). Only
// xml2js's Builder uses it, and nothing the functions run builds XML with that Builder (ali-oss writes its XML
// bodies with its own obj2xml; @alicloud/tea-xml's toXML is never called). Reaching it is a bug in the cut.
'use strict';
function cut() {
  throw new Error('xmlbuilder is not in this bundle (scripts/bundle-cuts.mjs): XML building was assumed unused');
}
exports.create = cut;
exports.begin = cut;
exports.stringWriter = cut;
exports.streamWriter = cut;
