// Baseline for the PSC benchmark: panva's oidc-provider with the flow socle's PSC serves
// (authorization code, PKCE S256 required, RS256 ID tokens, userinfo, introspection) and a login that
// needs no page, as `socle up --psc-auto-login`: the interaction route logs in and consents at once.
// Usage: node oidc.mjs PORT
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [{ ...jwk, kid: 'bench', alg: 'RS256', use: 'sig' }] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile'],
  claims: { openid: ['sub'], profile: ['family_name', 'given_name'] },
  features: { devInteractions: { enabled: false }, introspection: { enabled: true } },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, family_name: 'BENCH', given_name: 'Paul' }),
  }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['bench-cookie-key'] },
});

async function interact(req, res) {
  const { params } = await provider.interactionDetails(req, res);
  const grant = new provider.Grant({ accountId: 'bench-user', clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: 'bench-user' }, consent: { grantId } });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interact(req, res).catch((error) => { res.statusCode = 500; res.end(String(error)); });
  } else {
    callback(req, res);
  }
}).listen(port, '127.0.0.1');
