"""Drive braid with the official mParticle Python SDK, unchanged, pointed at braid.

Usage: sdk_send.py <base_url> <key> <secret>
Sends one batch through /events and two through /bulkevents, then prints "sent 3".
Exits non-zero if the SDK raises (any non-2xx answer raises ApiException).
"""
import sys
import time

import mparticle
from mparticle import (AppEvent, Batch, CommerceEvent, Product, ProductAction,
                       ScreenViewEvent, SessionStartEvent, UserIdentities)


def make_batch(customer_id, email, suffix):
    batch = Batch()
    batch.environment = "development"
    batch.source_request_id = "python-sdk-" + suffix
    identities = UserIdentities()
    identities.customerid = customer_id
    identities.email = email
    batch.user_identities = identities
    batch.user_attributes = {"$FirstName": "Grace", "plan": "gold", "tags": ["a", "b"]}

    now = int(time.time() * 1000)
    app_event = AppEvent(event_name="Played Song", custom_event_type="media")
    app_event.timestamp_unixtime_ms = now
    app_event.custom_attributes = {"genre": "jazz"}

    screen = ScreenViewEvent(screen_name="Home")
    screen.timestamp_unixtime_ms = now

    session = SessionStartEvent()
    session.timestamp_unixtime_ms = now

    product = Product()
    product.id = "sku-1"
    product.name = "Headphones"
    product.price = 49.5
    product.quantity = 2
    action = ProductAction("purchase")
    action.transaction_id = "t-" + suffix
    action.total_amount = 99.0
    action.products = [product]
    commerce = CommerceEvent(action)
    commerce.timestamp_unixtime_ms = now

    batch.events = [session, app_event, screen, commerce]
    return batch


def main():
    base_url, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    configuration = mparticle.Configuration()
    configuration.api_key = key
    configuration.api_secret = secret
    configuration.host = base_url + "/v2"
    configuration.debug = False
    api = mparticle.EventsApi(configuration)

    api.upload_events(make_batch("py-user-1", "py1@example.com", "one"))
    api.bulk_upload_events([
        make_batch("py-user-2", "py2@example.com", "two"),
        make_batch("py-user-3", "py3@example.com", "three"),
    ])
    print("sent 3")


if __name__ == "__main__":
    main()
