// placeholder: replaced by the cert-api issue
export const handler = async () => ({ statusCode: 200, body: 'ok' });
