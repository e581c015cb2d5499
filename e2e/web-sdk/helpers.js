// Helpers the test calls with page.evaluate: each wraps one Web SDK call in a promise
// that settles in the SDK's own callback, so the test sees what the SDK saw.
window.braidTest = {
  // mParticle.init pointed at braid; resolves with the identify result.
  init(key, braidHost, extra) {
    return new Promise((resolve) => {
      const config = Object.assign(
        {
          isDevelopmentMode: true,
          v3SecureServiceUrl: braidHost + '/v3/JS/',
          v1SecureServiceUrl: braidHost + '/v1/JS/',
          v2SecureServiceUrl: braidHost + '/v2/JS/',
          identityUrl: braidHost + '/v1/',
          aliasUrl: braidHost + '/v1/identity/',
          configUrl: braidHost + '/JS/v2/',
          logLevel: 'none',
          flags: { eventBatchingIntervalMillis: 500 },
          identityCallback: (result) =>
            resolve({
              httpCode: result.httpCode,
              mpid: result.getUser() ? result.getUser().getMPID() : null,
              body: result.body || null,
            }),
        },
        extra || {}
      );
      mParticle.init(key, config);
    });
  },
  identity(call, identities) {
    return new Promise((resolve) => {
      mParticle.Identity[call]({ userIdentities: identities || {} }, (result) => {
        const user = result.getUser ? result.getUser() : null;
        const previous = result.getPreviousUser ? result.getPreviousUser() : null;
        resolve({
          httpCode: result.httpCode,
          mpid: user ? user.getMPID() : null,
          previousMpid: previous ? previous.getMPID() : null,
          loggedIn: user ? user.isLoggedIn() : null,
          body: result.body || null,
        });
      });
    });
  },
  alias(sourceMpid, destinationMpid) {
    return new Promise((resolve) => {
      const request = {
        sourceMpid,
        destinationMpid,
        startTime: Date.now() - 60 * 60 * 1000,
        endTime: Date.now(),
        scope: 'mpid',
      };
      mParticle.Identity.aliasUsers(request, (result) => resolve({ httpCode: result.httpCode, message: result.message || null }));
    });
  },
  shop() {
    mParticle.logEvent('Clicked Buy', mParticle.EventType.Other, { color: 'red' });
    mParticle.logPageView('Product Page', { page: 'shoe' });
    const product = mParticle.eCommerce.createProduct('Shoe', 'sku-1', 10, 3);
    const transaction = mParticle.eCommerce.createTransactionAttributes('t-1', 'web', null, 30, 0, 0);
    mParticle.eCommerce.logProductAction(mParticle.ProductActionType.Purchase, [product], null, null, transaction);
    mParticle.Identity.getCurrentUser().setUserAttribute('plan', 'gold');
    mParticle.upload();
  },
  event(name) {
    mParticle.logEvent(name, mParticle.EventType.Other, {});
    mParticle.upload();
  },
  // What the SDK does on page hide: one batch as a text/plain blob through
  // navigator.sendBeacon (no response is readable).
  beacon(url, mpid, customerId, eventName) {
    const now = Date.now();
    const batch = {
      source_request_id: 'beacon-' + now,
      mpid: String(mpid),
      timestamp_unixtime_ms: now,
      environment: 'development',
      user_identities: { customer_id: customerId },
      events: [{ event_type: 'custom_event', data: { event_name: eventName, custom_event_type: 'other', timestamp_unixtime_ms: now } }],
    };
    return navigator.sendBeacon(url, new Blob([JSON.stringify(batch)], { type: 'text/plain;charset=UTF-8' }));
  },
  mpid() {
    const user = mParticle.Identity.getCurrentUser();
    return user ? user.getMPID() : null;
  },
};
