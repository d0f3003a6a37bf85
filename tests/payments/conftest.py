from tests.wechat_fixtures import (  # noqa: F401 - fixtures
    _fresh_cache,
    api,
    customer,
    merchant_keys,
    other_customer,
    platform_keys,
    products,
    staff_api,
    store,
    wechat,
)
