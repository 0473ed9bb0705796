// Parses the generated Go SDK text into what a contract needs: struct models (fields, wire names, types, the doc
// comment of each field) and, per action, the `<Action>WithOptions` function (where each parameter travels, how it
// is serialized, the HTTP shape of the call).

const STRUCT = /^type (\w+) struct \{\n([\s\S]*?)^\}/gm;
const FIELD = /^\t(\w+)\s+(\S+)\s+`([^`]*)`/;
const FUNC =
  /^func \(client \*Client\) (\w+)WithOptions\(([^)]*)\) \(_result \*(\w+), _err error\) \{\n([\s\S]*?)^\}/gm;

function tagsOf(text) {
  return Object.fromEntries([...text.matchAll(/(\w+):"([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** Every `type X struct {...}` with its fields and their comments, by name. */
export function parseStructs(files) {
  const structs = new Map();
  for (const file of files) {
    for (const m of file.text.matchAll(STRUCT)) {
      const fields = [];
      let doc = [];
      for (const line of m[2].split('\n')) {
        const comment = line.match(/^\t\/\/ ?(.*)$/);
        if (comment) {
          doc.push(comment[1]);
          continue;
        }
        const f = line.match(FIELD);
        if (f) {
          const tags = tagsOf(f[3]);
          fields.push({
            goName: f[1],
            goType: f[2],
            wire: (tags.json ?? f[1]).split(',')[0],
            tags,
            doc: doc.join('\n'),
          });
        }
        doc = [];
      }
      structs.set(m[1], { file: file.path, fields });
    }
  }
  return structs;
}

const PARAM = /^\s*(\w+):\s*(?:tea|dara)\.String\((.*)\),$/gm;

/** `"/a/" + dara.PercentEncode(dara.StringValue(name)) + "/b"` -> `/a/{name}/b`. */
function pathTemplate(expr) {
  return expr
    .split(/\s*\+\s*/)
    .map((part) => (part.startsWith('"') ? JSON.parse(part) : `{${part.match(/StringValue\((\w+)\)/)?.[1] ?? part}}`))
    .join('');
}

/** `<Action>WithOptions` of every action: request/headers types, where each field goes, the Params block. */
export function parseOperations(files) {
  const ops = new Map();
  for (const file of files) {
    if (!/^client\/client\.go$/.test(file.path)) continue;
    for (const m of file.text.matchAll(FUNC)) {
      const [, action, signature, responseType, body] = m;
      const request = signature.match(/(?:request|tmpReq) \*(\w+)/)?.[1];
      const headers = signature.match(/headers \*(\w+)/)?.[1];
      const pathArgs = [...signature.matchAll(/(\w+) \*string/g)].map((a) => a[1]);
      const placement = new Map();
      for (const p of body.matchAll(/(query|body)\["([^"]+)"\]\s*=\s*request\.(\w+)/g)) {
        const goName = p[3].replace(/Shrink$/, '');
        placement.set(goName, { in: p[1], wire: p[2] });
      }
      for (const p of body.matchAll(/realHeaders\["([^"]+)"\]\s*=.*headers\.(\w+)/g))
        placement.set(`header:${p[2]}`, { in: 'header', wire: p[1] });
      const styles = new Map();
      for (const p of body.matchAll(
        /request\.(\w+)Shrink = openapiutil\.ArrayToStringWithSpecifiedStyle\(tmpReq\.(\w+),\s*[^,]+,\s*(?:tea|dara)\.String\("(\w+)"\)\)/g,
      ))
        styles.set(p[2], p[3]);
      const params = {};
      const block = body.match(/params := &\w+\.Params\{([\s\S]*?)\n\t\}/);
      for (const p of (block?.[1] ?? '').matchAll(PARAM)) params[p[1]] = p[2];
      ops.set(action, {
        action,
        request,
        headers,
        responseType,
        pathArgs,
        placement,
        styles,
        streamBody: /Body:\s+request\.Body/.test(body),
        http: {
          method: params.Method && JSON.parse(params.Method),
          pathname: params.Pathname && pathTemplate(params.Pathname),
          protocol: params.Protocol && JSON.parse(params.Protocol),
          style: params.Style && JSON.parse(params.Style),
          reqBodyType: params.ReqBodyType && JSON.parse(params.ReqBodyType),
          bodyType: params.BodyType && JSON.parse(params.BodyType),
          version: params.Version && JSON.parse(params.Version),
        },
      });
    }
  }
  return ops;
}

/** The function's `// Summary:` text, when the generator wrote one. */
export function summaryOf(files, action) {
  for (const file of files) {
    if (file.path !== 'client/client.go') continue;
    const re = new RegExp(`((?:^//.*\\n)+)func \\(client \\*Client\\) ${action}WithOptions\\(`, 'm');
    const m = file.text.match(re);
    if (!m) continue;
    const lines = m[1].split('\n').map((l) => l.replace(/^\/\/ ?/, ''));
    const i = lines.indexOf('Summary:');
    if (i >= 0)
      return lines
        .slice(i + 1)
        .find((l) => l.trim())
        ?.trim();
  }
  return undefined;
}
