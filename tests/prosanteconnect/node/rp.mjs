// A vendor's relying party: panva's openid-client (certified RP library) against socle's PSC.
// Usage: node rp.mjs '<json>' with {issuer, client_id, client_secret, redirect_uri, login_hint, flow}.
// Prints one JSON line: {"ok": true, ...} or {"ok": false, "step": ..., "error": ...}.
import * as oidc from 'openid-client'

const input = JSON.parse(process.argv[2])
let step = 'discovery'

async function main () {
  const config = await oidc.discovery(
    new URL(input.issuer + '/.well-known/wallet-openid-configuration'),
    input.client_id,
    input.client_secret,
    oidc.ClientSecretBasic(input.client_secret),
    { execute: [oidc.allowInsecureRequests] }
  )
  // Verify ID token signatures too (over TLS, OIDC Core §3.1.3.7 lets a client skip it; vendors should not).
  oidc.enableNonRepudiationChecks(config)
  if (input.flow === 'ciba') {
    step = 'ciba'
    const request = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid scope_all',
      acr_values: 'eidas1',
      login_hint: input.login_hint,
      binding_message: '42'
    })
    console.error(JSON.stringify({ auth_req_id: request.auth_req_id }))
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, request)
    return { claims: tokens.claims(), expires_in: tokens.expiresIn() }
  }
  step = 'authorize'
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: 'openid scope_all',
    acr_values: 'eidas1',
    ...(input.login_hint ? { login_hint: input.login_hint } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce
  })
  const answer = await fetch(url, { redirect: 'manual' })
  if (answer.status !== 302) throw new Error(`authorization answered ${answer.status}`)
  step = 'token'
  const tokens = await oidc.authorizationCodeGrant(config, new URL(answer.headers.get('location')), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true
  })
  const claims = tokens.claims()
  // PSC's rule (ANS broker): only eIDAS level 1 is accepted
  if (claims.acr !== 'eidas1') throw new Error('The returned eIDAS level is not supported')
  step = 'userinfo'
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
  step = 'refresh'
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token)
  return {
    claims,
    userinfo,
    refreshed_claims: refreshed.claims(),
    rotated: refreshed.refresh_token !== tokens.refresh_token
  }
}

main().then(
  (result) => console.log(JSON.stringify({ ok: true, ...result })),
  (error) => console.log(JSON.stringify({ ok: false, step, error: String(error && (error.code || error.message)), message: String(error && error.message) }))
)
