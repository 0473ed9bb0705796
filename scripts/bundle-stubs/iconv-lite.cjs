// Stands in for iconv-lite in the function bundles (scripts/bundle-cuts.mjs, cut `iconv-lite-textdecoder`).
// urllib (under ali-oss) calls only `decode(buffer, charset)`, for a response whose charset Buffer does not know;
// Node's TextDecoder (built with full ICU) decodes the WHATWG encodings (GBK, Big5, Shift_JIS, EUC-KR, ...).
// An unknown charset throws a RangeError, as iconv-lite throws for an encoding it does not recognise.
'use strict';
exports.decode = function decode(buffer, charset) {
  return new TextDecoder(charset).decode(buffer);
};
